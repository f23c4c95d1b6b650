// The layer check reads README.md's Architecture table and refuses imports that go upward.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const script = path.resolve(__dirname, '../../../scripts/check-layers.mjs');

function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layers-'));
  fs.writeFileSync(
    path.join(dir, 'README.md'),
    ['| layer | folders | what |', '| --- | --- | --- |', '| 1 | `util/`, `io/` | x |', '| 2 | `metrics/`, then `errors/` | x |', '| 3 | `server.ts` | x |'].join('\n'),
  );
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, 'src', name)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src', name), text);
  }
  return dir;
}

function check(dir: string): { ok: boolean; output: string } {
  try {
    return { ok: true, output: execFileSync('node', [script, '--root', dir], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (err) {
    return { ok: false, output: String((err as { stderr?: string }).stderr) };
  }
}

describe('scripts/check-layers.mjs', () => {
  it('accepts imports that go down, and along a "then"', () => {
    const dir = tree({
      'util/a.ts': 'export const a = 1;',
      'io/b.ts': "import { a } from '../util/a.js';",
      'errors/e.ts': "import type { M } from '../metrics/m.js';",
      'metrics/m.ts': "import { a } from '../util/a.js';\nexport type M = 1;",
      'server.ts': "import { e } from './errors/e.js';",
    });
    expect(check(dir).ok).toBe(true);
  });

  it('refuses an upward import, a type import included, and names it', () => {
    const dir = tree({ 'util/a.ts': "import type { S } from '../server.js';", 'server.ts': 'export type S = 1;' });
    const result = check(dir);
    expect(result.ok).toBe(false);
    expect(result.output).toContain('src/util/a.ts (layer 1, util) imports ../server.js (layer 3, server.ts)');
  });

  it('refuses an import against a "then" and siblings importing each other', () => {
    expect(check(tree({ 'metrics/m.ts': "import '../errors/e.js';\nimport { e } from '../errors/e.js';", 'errors/e.ts': 'export const e = 1;' })).ok).toBe(false);
    const cycle = check(tree({ 'util/a.ts': "import { b } from '../io/b.js';\nexport const a = 1;", 'io/b.ts': "import { a } from '../util/a.js';\nexport const b = 1;" }));
    expect(cycle.ok).toBe(false);
    expect(cycle.output).toContain('import each other');
  });

  it('refuses a folder the table does not name', () => {
    expect(check(tree({ 'extra/x.ts': 'export const x = 1;' })).output).toContain("'extra' is in no layer");
  });
});
