// Preloaded into slotgate (BENCH_NODE_ARGS="--require ./bench/heap-sampler.cjs"): samples every
// allocation, including objects the garbage collector has since freed (node's own --heap-prof keeps
// only the live ones, so it cannot show per-request garbage), and writes the profile at exit to
// HEAP_SAMPLER_DIR (default .tmp/heap-prof), for bench/heap-profile-summary.mjs. Issue #22.
const { Session } = require('node:inspector');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const dir = resolve(process.env.HEAP_SAMPLER_DIR ?? '.tmp/heap-prof');
const session = new Session();
session.connect();
session.post('HeapProfiler.enable');
session.post('HeapProfiler.startSampling', {
  samplingInterval: 4096,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
process.on('exit', () => {
  // An in-process session answers synchronously, so this runs to the end inside 'exit'.
  session.post('HeapProfiler.stopSampling', (err, result) => {
    if (err) return;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `heap-${process.pid}.heapprofile`), JSON.stringify(result.profile));
  });
});
