// A YAML config file in a temp dir, for tests that start slotgate with --config and edit the
// file to test reloads (remember remove()), or for one test (configFileForTest).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

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

/** The path of a config file holding `yaml`, for the running test alone: removed when it ends. */
export function configFileForTest(yaml: string): string {
  const file = tempConfigFile(yaml);
  onTestFinished(() => file.remove());
  return file.path;
}
