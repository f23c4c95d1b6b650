// INFO masking and merging, on INFO text produced by a real redis-server: the format must
// survive parsing and re-formatting byte for byte, and masking must change exactly the
// sensitive values.
import { describe, expect, it } from 'vitest';
import { formatInfo, MASKED, maskInfo, mergedInfo, parseInfo, type ProxyFigures } from '../../../src/proxy-view/info.js';
import { useStandaloneRedis } from '../../helpers/standalone-redis.js';

const redis = useStandaloneRedis();
const SENSITIVE = ['run_id', 'master_replid', 'master_replid2', 'executable', 'config_file', 'tcp_port'];

const figures: ProxyFigures = {
  version: '9.9.9', nodeId: 'f'.repeat(40), announce: '127.0.0.1:6380', uptimeSeconds: 5, connectedClients: 2, monitorClients: 0,
  commandsProcessed: 10, shards: 3, nodesUp: 6, nodesDown: 0, topologyEpoch: 4,
};

describe('INFO text', () => {
  it('parse + format gives back what Redis wrote', async () => {
    for (const section of ['', 'everything', 'server', 'keyspace']) {
      const text = (await (section ? redis().info(section) : redis().info())) as string;
      expect(formatInfo(parseInfo(text))).toBe(text);
    }
  });

  it('masking changes exactly the sensitive values', async () => {
    await redis().set('info-test-key', 'v');
    const text = (await redis().info('everything')) as string;
    const masked = maskInfo(text).split('\r\n');
    const original = text.split('\r\n');
    expect(masked.length).toBe(original.length);
    let maskedCount = 0;
    original.forEach((line, i) => {
      const field = line.slice(0, line.indexOf(':'));
      if (SENSITIVE.includes(field)) {
        expect(masked[i]).toBe(`${field}:${MASKED}`);
        maskedCount++;
      } else expect(masked[i]).toBe(line);
    });
    expect(maskedCount).toBe(SENSITIVE.length);
    const runId = /run_id:(\w+)/.exec(text)![1]!;
    expect(maskInfo(text)).not.toContain(runId);
  });

  it('merged INFO: one node masked, keyspace summed, Proxy section when asked', async () => {
    const one = (await redis().info()) as string;
    const texts = [one.replace(/db0:keys=\d+/, 'db0:keys=4'), one.replace(/db0:keys=\d+/, 'db0:keys=6')];
    const merged = parseInfo(mergedInfo(texts, 0, [], figures));
    expect(merged.find((s) => s.name === 'Keyspace')!.lines[0]).toMatch(/^db0:keys=10,/);
    expect(merged.find((s) => s.name === 'Proxy')!.lines).toContain('proxy_version:9.9.9');
    expect(merged.find((s) => s.name === 'Server')!.lines).toContain(`run_id:${MASKED}`);
    // The backend already answered only what was asked; the Proxy section is added only when asked for.
    expect(parseInfo(mergedInfo(texts, 0, ['server'], figures)).map((s) => s.name)).not.toContain('Proxy');
  });
});
