// Summarises a V8 .cpuprofile (from BENCH_CPU_PROF=1): self time by function, the top N, as a share
// of the busy (non-idle) time. The evidence behind issue #12's notes on where a request's CPU goes.
//
//   node bench/profile-summary.mjs .tmp/cpu-prof/<file>.cpuprofile [top=40]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/profile-summary.mjs <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(topArg ?? 40);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfSamples = new Map();
for (const id of profile.samples) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
const byFunction = new Map();
let busy = 0;
for (const [id, count] of selfSamples) {
  const { callFrame } = byId.get(id);
  const name = callFrame.functionName || '(anonymous)';
  if (name === '(idle)' || name === '(program)') continue;
  const where = callFrame.url ? `${callFrame.url.replace(/^.*\/(dist\/src|node:)/, '$1')}:${callFrame.lineNumber + 1}` : '';
  const key = `${name} ${where}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + count);
  busy += count;
}
const rows = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(`${busy} busy samples (idle and (program) left out)`);
for (const [key, count] of rows) console.log(`${((count / busy) * 100).toFixed(1).padStart(5)}%  ${key}`);
