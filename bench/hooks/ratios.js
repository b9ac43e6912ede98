// Reads the Node figures (argv[2]) and criterion's estimates, prints the
// ratios the issue asks for.
'use strict';

const fs = require('fs');
const path = require('path');

const node = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const criterion = process.argv[3];

function rust(id) {
  const file = path.join(criterion, id, 'new', 'estimates.json');
  try {
    // The median, as bench/extensions does: on a shared 2-core machine one
    // descheduled sample moves the mean, not the median.
    return JSON.parse(fs.readFileSync(file, 'utf8')).median.point_estimate;
  } catch {
    return NaN;
  }
}

const f = (ns) => (ns < 100 ? ns.toFixed(2) : ns.toFixed(0)).padStart(9);
const x = (r) => `${r.toFixed(2)}x`.padStart(9);
const line = (label, a, b, note) =>
  console.log(`${label.padEnd(44)} ${f(a)} ns  vs ${f(b)} ns  = ${x(b / a)} ${note}`);

console.log('\nsync filter: plinth vs floor (ratio = plinth / floor; goal <= 1.3 at 10)');
for (const n of [1, 10, 100]) {
  const p = rust(`sync_filter/plinth/${n}`);
  const v = rust(`sync_filter/vec_box_fn/${n}`);
  const c = rust(`sync_filter/plinth_caller/${n}`);
  console.log(`  n=${String(n).padEnd(4)} plinth ${f(p)} ns  floor ${f(v)} ns  ratio ${x(p / v)}   through a FilterCaller ${f(c)} ns  ratio ${x(c / v)}`);
}

const mh = rust('many_hooks_32x10/plinth');
const mf = rust('many_hooks_32x10/vec_box_fn');
console.log(`  32 hooks x 10 in turn: plinth ${f(mh)} ns  floor ${f(mf)} ns  ratio ${x(mh / mf)}`);

console.log('\nsync filter: how much faster plinth is than Node (ratio = node / plinth)');
for (const n of [1, 10, 100]) {
  const p = rust(`sync_filter/plinth/${n}`);
  line(`  n=${n} vs tapable SyncWaterfallHook`, p, node[`tapable_sync_waterfall_${n}`], '');
  line(`  n=${n} vs seed HookRegistry.trigger`, p, node[`seed_trigger_sync_callbacks_${n}`], '');
}

console.log('\nasync filter, 10 callbacks (5 sync, 5 async): node / plinth (goal >= 10x)');
const pa = rust('async_filter_10/plinth');
line('  vs tapable AsyncSeriesWaterfallHook', pa, node.tapable_async_series_waterfall_10, '');
line('  vs seed HookRegistry.trigger', pa, node.seed_trigger_async_10, '');
console.log(`  (rust floor, all boxed futures: ${f(rust('async_filter_10/boxed_futures'))} ns)`);

console.log('\nthreads, 10-callback sync filter (throughput ratio = 2 * t1 / t2; goal >= 1.9)');
const t1 = rust('threads/plinth_1_thread');
const t2 = rust('threads/plinth_2_threads');
const tc = rust('threads/plinth_2_threads_with_churn');
const rw = rust('threads/rwlock_2_threads');
const c1 = rust('threads/plinth_caller_1_thread');
const c2 = rust('threads/plinth_caller_2_thread');
console.log(`  1 thread                 ${f(t1)} ns per call`);
console.log(`  2 threads                ${f(t2)} ns per call per thread  throughput ${x((2 * t1) / t2)}`);
console.log(`  2 threads + churn thread ${f(tc)} ns per call per thread  throughput ${x((2 * t1) / tc)}`);
console.log(`  RwLock<Vec>, 2 threads   ${f(rw)} ns per call per thread`);
console.log(`  FilterCaller, 1 thread   ${f(c1)} ns per call`);
console.log(`  FilterCaller, 2 threads  ${f(c2)} ns per call per thread  throughput ${x((2 * c1) / c2)}`);
