// functionDumpLibraries on input that is no FUNCTION DUMP payload; on payloads a real redis-server
// made, see test/integration/oracle/function-dump.test.ts.
import { describe, expect, it } from 'vitest';
import { functionDumpLibraries } from '../../../src/upstream/function-dump.js';
import { encodeBulk } from '../../../src/protocol/encoder.js';

describe('FUNCTION DUMP payloads', () => {
  it('is null for anything else', () => {
    expect(functionDumpLibraries(encodeBulk('not a dump payload'))).toBeNull();
    expect(functionDumpLibraries(encodeBulk(null))).toBeNull();
  });
});
