// Node 24 (the Docker image's runtime) for the tests that need what Node 20 lacks, installed from
// the npm registry into the same scratch folder .ci/run uses, once; the system node is untouched.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const VERSION = '24.21.0';
const DIR = path.resolve('.tmp/node24');
const BINARY = path.join(DIR, 'node_modules/node/bin/node');

export function node24Binary(): string {
  if (!fs.existsSync(BINARY)) {
    execFileSync('npm', ['install', '--prefix', DIR, '--no-save', '--no-audit', '--no-fund', `node@${VERSION}`], { stdio: 'ignore' });
  }
  return BINARY;
}
