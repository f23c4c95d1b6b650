// functionDumpLibraries on FUNCTION DUMP payloads made by a real redis-server: short and long
// libraries (long code is LZF-compressed in the payload), counted against FUNCTION LIST.
import { describe, expect, it } from 'vitest';
import { functionDumpLibraries } from '../../../src/upstream/function-dump.js';
import { encodeBulk } from '../../../src/protocol/encoder.js';
import { useStandaloneRedis } from '../../helpers/standalone-redis.js';

const redis = useStandaloneRedis();
const library = (name: string, padding: number) =>
  `#!lua name=${name}\n${'-- padding\n'.repeat(padding)}redis.register_function('${name}_f', function() return '${name}' end)`;

describe('FUNCTION DUMP payloads', () => {
  it('splits into one record per library', async () => {
    await redis().call('FUNCTION', 'FLUSH');
    const loaded: string[] = [];
    for (const [i, padding] of [0, 1, 50, 400].entries()) {
      await redis().call('FUNCTION', 'LOAD', library(`lib${i}`, padding));
      loaded.push(`lib${i}`);
      const dump = (await redis().callBuffer('FUNCTION', 'DUMP')) as Buffer;
      const records = functionDumpLibraries(encodeBulk(dump));
      expect(records).not.toBeNull();
      expect(records!.length).toBe(((await redis().call('FUNCTION', 'LIST')) as unknown[]).length);
      expect(records!.length).toBe(loaded.length);
    }
  });
});
