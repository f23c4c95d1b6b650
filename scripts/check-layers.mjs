#!/usr/bin/env node
// The layer rule of README.md's Architecture table, checked: a module under src/ imports only from
// its own folder, from a folder of a lower layer, or from a folder of its own layer listed before
// its own ("`observability/`, then `errors/`": errors/ may import observability/, not the reverse).
// Type-only imports count too. The table is the one list of layers: this script reads it, so the
// README and the check cannot disagree. Exit 1 with every offending import listed.
//
//   node scripts/check-layers.mjs            # README.md and src/ of this checkout
//   node scripts/check-layers.mjs --root DIR # another tree's (the unit test's fixtures)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const rootFlag = process.argv.indexOf('--root');
const root = rootFlag > 0 ? path.resolve(process.argv[rootFlag + 1]) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');

/** folder or root file → [layer, position within the layer] from the README's table rows. */
function readLayers() {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const layers = new Map();
  for (const line of readme.split('\n')) {
    const row = /^\| (\d+) \| (.+?) \|/.exec(line);
    if (!row) continue;
    const names = [...row[2].matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\/$/, ''));
    // Folders joined by "then" are ordered; the others of a row are siblings (position 0).
    const ordered = row[2].includes(' then ');
    names.forEach((name, i) => layers.set(name, [Number(row[1]), ordered ? i : 0]));
  }
  if (layers.size === 0) throw new Error('README.md has no Architecture table rows (| n | `folder/` … |)');
  return layers;
}

function sourceFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The folder (or, at the top of src/, the file) a path belongs to, as the table names it. */
function unitOf(file) {
  const [first] = path.relative(src, file).split(path.sep);
  return first;
}

const layers = readLayers();
const importPattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g;
const problems = [];
/** Imports between sibling folders of one layer: allowed one way, a cycle both ways. */
const siblingEdges = new Set();
for (const file of sourceFiles(src)) {
  const from = unitOf(file);
  const fromLayer = layers.get(from);
  if (!fromLayer) {
    problems.push(`${path.relative(root, file)}: '${from}' is in no layer of README.md's Architecture table`);
    continue;
  }
  for (const match of fs.readFileSync(file, 'utf8').matchAll(importPattern)) {
    const target = path.resolve(path.dirname(file), match[1]);
    if (!target.startsWith(src + path.sep)) continue;
    const to = unitOf(target.replace(/\.js$/, '.ts'));
    if (to === from) continue;
    const toLayer = layers.get(to);
    const downward = toLayer && (toLayer[0] < fromLayer[0] || (toLayer[0] === fromLayer[0] && toLayer[1] < fromLayer[1]) || (toLayer[0] === fromLayer[0] && toLayer[1] === fromLayer[1] && fromLayer[1] === 0));
    if (downward && toLayer[0] === fromLayer[0] && toLayer[1] === fromLayer[1]) siblingEdges.add(`${from} -> ${to}`);
    if (!downward) problems.push(`${path.relative(root, file)} (layer ${fromLayer[0]}, ${from}) imports ${match[1]} (${toLayer ? `layer ${toLayer[0]}, ` : 'no layer, '}${to})`);
  }
}
for (const edge of siblingEdges) {
  const [a, b] = edge.split(' -> ');
  if (a < b && siblingEdges.has(`${b} -> ${a}`)) problems.push(`${a} and ${b} (one layer) import each other`);
}
if (problems.length > 0) {
  console.error(`layer rule broken (README.md, Architecture):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`layers: ${layers.size} folders and files in order, every import of src/ goes downward`);
