// Node side of the plinth-hooks benchmarks: the same callbacks and counts
// as crates/plinth-hooks/benches/hooks.rs. Callback i maps x to x * 3 + i
// (kept in 32-bit integers, so V8 stays on its fast path); "truly async"
// callbacks await once before returning.
// Prints one JSON object: { "<case>": nanoseconds per call, ... }.
'use strict';

const { SyncWaterfallHook, AsyncSeriesWaterfallHook } = require('tapable');
const { HookRegistry } = require('./hook-registry');

const step = (x, i) => ((x * 3 + i) | 0);

function syncTapable(n) {
  const hook = new SyncWaterfallHook(['x']);
  for (let i = 0; i < n; i++) hook.tap(`p${i}`, (x) => step(x, i));
  return () => hook.call(1);
}

function seedRegistry(n, asyncEvery) {
  const registry = new HookRegistry();
  for (let i = 0; i < n; i++) {
    if (asyncEvery && i % 2 === 1) {
      registry.register('bench', async (x) => {
        await null;
        return step(x, i);
      });
    } else {
      registry.register('bench', (x) => step(x, i));
    }
  }
  return () => registry.trigger('bench', 1);
}

function asyncTapable(n) {
  const hook = new AsyncSeriesWaterfallHook(['x']);
  for (let i = 0; i < n; i++) {
    if (i % 2 === 1) {
      hook.tapPromise(`p${i}`, async (x) => {
        await null;
        return step(x, i);
      });
    } else {
      hook.tap(`p${i}`, (x) => step(x, i));
    }
  }
  return () => hook.promise(1);
}

// Runs `fn` for about `ms` milliseconds after a warm-up; ns per call.
function measureSync(fn, ms = 1500) {
  let sink = 0;
  for (let i = 0; i < 200000; i++) sink ^= fn();
  let iters = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1000000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 10000; i++) sink ^= fn();
    iters += 10000;
    now = process.hrtime.bigint();
  }
  if (sink === 0.5) console.error(sink);
  return Number(now - start) / iters;
}

async function measureAsync(fn, ms = 1500) {
  let sink = 0;
  for (let i = 0; i < 50000; i++) sink ^= await fn();
  let iters = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1000000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 1000; i++) sink ^= await fn();
    iters += 1000;
    now = process.hrtime.bigint();
  }
  if (sink === 0.5) console.error(sink);
  return Number(now - start) / iters;
}

async function main() {
  const results = {};
  for (const n of [1, 10, 100]) {
    results[`tapable_sync_waterfall_${n}`] = measureSync(syncTapable(n));
    results[`seed_trigger_sync_callbacks_${n}`] = await measureAsync(seedRegistry(n, false));
  }
  results.tapable_async_series_waterfall_10 = await measureAsync(asyncTapable(10));
  results.seed_trigger_async_10 = await measureAsync(seedRegistry(10, true));
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
