import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version in package.json. Found by walking up from this module, because it runs both from
 * src/ (tests) and from dist/src/ (the build), which sit at different depths.
 */
function readPackageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'slotgate' && manifest.version) return manifest.version;
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

export const SLOTGATE_VERSION = readPackageVersion();
