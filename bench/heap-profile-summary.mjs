// Summarises a V8 sampling heap profile (.heapprofile, from bench/heap-sampler.cjs): bytes
// allocated by function (self), the top N, as a share of all sampled bytes. Where a request's garbage
// comes from (issue #22), as profile-summary.mjs says where its CPU goes.
//
//   node bench/heap-profile-summary.mjs .tmp/heap-prof/<file>.heapprofile [top=30]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/heap-profile-summary.mjs <file.heapprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(topArg ?? 30);
const bytesByFunction = new Map();
let total = 0;
const visit = (node) => {
  const self = node.selfSize ?? 0;
  if (self > 0) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^.*\/(dist\/src|node:)/, '$1')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`;
    bytesByFunction.set(key, (bytesByFunction.get(key) ?? 0) + self);
    total += self;
  }
  for (const child of node.children ?? []) visit(child);
};
visit(profile.head);
console.log(`${(total / 1e6).toFixed(1)} MB sampled`);
for (const [key, bytes] of [...bytesByFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((bytes / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
}
