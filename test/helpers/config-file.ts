// A YAML config file in a temp dir, for tests that start slotgate with --config and edit the
// file to test reloads. Remember remove().
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempConfigFile {
  readonly path: string;
  /** Replaces the file's contents. */
  write(yaml: string): void;
  remove(): void;
}

export function tempConfigFile(yaml: string): TempConfigFile {
  const dir = mkdtempSync(join(tmpdir(), 'slotgate-config-'));
  const path = join(dir, 'slotgate.yaml');
  writeFileSync(path, yaml);
  return {
    path,
    write: (text) => writeFileSync(path, text),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
