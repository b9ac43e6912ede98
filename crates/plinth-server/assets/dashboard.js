// The dashboard's script: toggles, and live updates from the event stream.
// Plugin data is only ever set as text (textContent), never parsed as HTML.
(() => {
  'use strict';
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const tbody = document.getElementById('plugins');
  const graph = document.getElementById('graph');
  const live = document.getElementById('live');
  const error = document.getElementById('error');

  function cell(tr, text, className) {
    const td = document.createElement('td');
    td.textContent = text == null ? '' : String(text);
    if (className) td.className = className;
    tr.appendChild(td);
    return td;
  }

  function render(plugins) {
    const rows = plugins.map((p) => {
      const tr = document.createElement('tr');
      tr.dataset.plugin = p.name;
      tr.dataset.state = p.state;
      cell(tr, p.name, 'name');
      cell(tr, p.version);
      cell(tr, p.state, 'state state-' + p.state);
      cell(tr, p.reason || '', 'reason');
      cell(tr, Object.entries(p.dependencies || {}).map(([n, r]) => n + ' ' + r).join(', '));
      cell(tr, (p.dependents || []).join(', '));
      cell(tr, p.hooks.calls);
      cell(tr, p.hooks.failures);
      const action = cell(tr, '');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'toggle';
      button.dataset.plugin = p.name;
      button.dataset.enable = String(!p.enabled);
      button.textContent = p.enabled ? 'Disable' : 'Enable';
      action.appendChild(button);
      return tr;
    });
    tbody.replaceChildren(...rows);
  }

  async function refresh() {
    const response = await fetch('/api/admin/plugins', { credentials: 'same-origin' });
    if (response.status === 401) {
      window.location.href = '/admin/login';
      return;
    }
    if (response.ok) render(await response.json());
    // A new URL, so that the browser does not show its cached picture.
    graph.src = '/api/admin/graph.svg?at=' + Date.now();
  }

  // Changes come in bursts (a stop takes its dependents down): one refresh
  // per burst.
  let pending = null;
  function soon() {
    if (pending === null) {
      pending = setTimeout(() => {
        pending = null;
        refresh().catch((e) => { error.textContent = String(e); });
      }, 100);
    }
  }

  tbody.addEventListener('click', async (event) => {
    const button = event.target.closest('button.toggle');
    if (!button) return;
    button.disabled = true;
    error.textContent = '';
    try {
      const response = await fetch(
        '/api/admin/plugins/' + encodeURIComponent(button.dataset.plugin) + '/toggle',
        {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
          body: JSON.stringify({ enabled: button.dataset.enable === 'true' }),
        },
      );
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        error.textContent = (body.error || response.statusText) + (body.reason ? ': ' + body.reason : '');
      }
    } catch (e) {
      error.textContent = String(e);
    }
    await refresh();
  });

  const source = new EventSource('/api/admin/events');
  source.onopen = () => {
    live.textContent = 'live';
    live.dataset.live = 'true';
    // Whatever changed between the page's rendering and now.
    soon();
  };
  source.onerror = () => {
    live.textContent = 'reconnecting';
    live.dataset.live = 'false';
  };
  source.onmessage = soon;
  source.addEventListener('lagged', soon);
})();
