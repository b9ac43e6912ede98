// The dashboard's script: toggles, configuration forms, and live updates
// from the event stream. Plugin data is only ever set as text (textContent
// or a textarea's value), never parsed as HTML.
(() => {
  'use strict';
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const tbody = document.getElementById('plugins');
  const graph = document.getElementById('graph');
  const live = document.getElementById('live');
  const error = document.getElementById('error');
  const configs = document.getElementById('configs');

  // As the server's `duration`: '-', or µs, ms, s with few digits.
  function significant(x) {
    const d = x >= 100 ? 0 : x >= 10 ? 1 : 2;
    return String(Number(x.toFixed(d)));
  }
  function duration(us) {
    if (us == null) return '-';
    if (us < 1000) return significant(us) + ' µs';
    if (us < 1e6) return significant(us / 1000) + ' ms';
    return significant(us / 1e6) + ' s';
  }

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
      cell(tr, (p.notices || []).join('; '), 'notices');
      cell(tr, Object.entries(p.dependencies || {}).map(([n, r]) => n + ' ' + r).join(', '));
      cell(tr, (p.dependents || []).join(', '));
      cell(tr, p.hooks.calls, 'num calls');
      cell(tr, p.hooks.failures, 'num failures');
      cell(tr, duration(p.hooks.p50Micros), 'num p50');
      cell(tr, duration(p.hooks.p99Micros), 'num p99');
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
    // A plugin added since the page was rendered (a reload of the plugin
    // folders) gets its form; the others keep theirs, edits included.
    for (const p of plugins) {
      if (!configs.querySelector('form.config[data-plugin="' + CSS.escape(p.name) + '"]')) {
        addForm(p.name).catch((e) => { error.textContent = String(e); });
      }
    }
  }

  // The same markup as the server's `config_form`.
  function form(name, text) {
    const f = document.createElement('form');
    f.className = 'config';
    f.dataset.plugin = name;
    const h = document.createElement('h3');
    h.textContent = name;
    const area = document.createElement('textarea');
    area.name = 'config';
    area.rows = 6;
    area.spellcheck = false;
    area.setAttribute('aria-label', 'configuration of ' + name);
    area.value = text;
    const p = document.createElement('p');
    const save = document.createElement('button');
    save.type = 'submit';
    save.className = 'save';
    save.textContent = 'Save';
    const status = document.createElement('span');
    status.className = 'config-status';
    status.setAttribute('role', 'status');
    p.append(save, ' ', status);
    const violations = document.createElement('ul');
    violations.className = 'violations';
    violations.setAttribute('role', 'alert');
    f.append(h, area, p, violations);
    return f;
  }

  async function addForm(name) {
    const response = await fetch('/api/admin/plugins/' + encodeURIComponent(name) + '/config',
      { credentials: 'same-origin' });
    if (!response.ok) return;
    const body = await response.json();
    if (!configs.querySelector('form.config[data-plugin="' + CSS.escape(name) + '"]')) {
      configs.appendChild(form(name, JSON.stringify(body.config, null, 2)));
    }
  }

  function showViolations(list, items) {
    list.replaceChildren(...items.map((v) => {
      const li = document.createElement('li');
      li.dataset.pointer = v.pointer;
      const code = document.createElement('code');
      code.textContent = v.pointer === '' ? '/' : v.pointer;
      li.append(code, ': ' + v.message);
      return li;
    }));
  }

  configs.addEventListener('submit', async (event) => {
    const f = event.target.closest('form.config');
    if (!f) return;
    event.preventDefault();
    const status = f.querySelector('.config-status');
    const list = f.querySelector('.violations');
    const save = f.querySelector('button.save');
    status.textContent = '';
    list.replaceChildren();
    let section;
    try {
      section = JSON.parse(f.querySelector('textarea').value);
    } catch (e) {
      showViolations(list, [{ pointer: '', message: 'not JSON: ' + e.message }]);
      return;
    }
    save.disabled = true;
    try {
      const response = await fetch(
        '/api/admin/plugins/' + encodeURIComponent(f.dataset.plugin) + '/config',
        {
          method: 'PUT',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
          body: JSON.stringify(section),
        },
      );
      const body = await response.json().catch(() => ({}));
      if (response.ok) {
        const restarted = body.restarted || [];
        status.textContent = 'Saved' + (restarted.length ? '; restarted ' + restarted.join(', ') : '');
      } else if (Array.isArray(body.violations)) {
        showViolations(list, body.violations);
      } else {
        showViolations(list, [{ pointer: '', message: body.error || response.statusText }]);
      }
    } catch (e) {
      showViolations(list, [{ pointer: '', message: String(e) }]);
    } finally {
      save.disabled = false;
    }
  });

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
