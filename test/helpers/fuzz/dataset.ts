// A key's type and value as plain text, read directly from a server (not through slotgate), so the
// fuzz test can compare what the cluster holds with what the standalone oracle holds. Orders that
// depend on a server's hash seed (set members, hash fields) are sorted; times are reduced to
// "has an expiry or not".
import type { Cluster, Redis } from 'ioredis';
import { showBytes } from './resp-connection.js';

type Client = Redis | Cluster;

function show(value: unknown): string {
  if (Buffer.isBuffer(value)) return showBytes(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  return String(value);
}

function pairs(flat: Buffer[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push(`${showBytes(flat[i]!)}=${showBytes(flat[i + 1]!)}`);
  return out;
}

/** XINFO CONSUMERS minus its times (idle, inactive): name and pending count. */
function consumersWithoutTimes(reply: unknown[]): string {
  return show(
    reply.map((consumer) => {
      const fields = consumer as Buffer[];
      const kept: unknown[] = [];
      for (let i = 0; i + 1 < fields.length; i += 2) if (['name', 'pending'].includes(fields[i]!.toString())) kept.push(fields[i], fields[i + 1]);
      return kept;
    }),
  );
}

export async function describeKey(client: Client, key: Buffer): Promise<string> {
  const type = String(await client.call('TYPE', key));
  if (type === 'none') return 'none';
  const pttl = Number(await client.call('PTTL', key));
  const expiry = pttl >= 0 ? ' (with an expiry)' : '';
  switch (type) {
    case 'string':
      return `string ${showBytes((await client.callBuffer('GET', key)) as Buffer)}${expiry}`;
    case 'list':
      return `list ${show(await client.callBuffer('LRANGE', key, '0', '-1'))}${expiry}`;
    case 'set':
      return `set {${((await client.callBuffer('SMEMBERS', key)) as Buffer[]).map(showBytes).sort().join(', ')}}${expiry}`;
    case 'zset':
      return `zset ${pairs((await client.callBuffer('ZRANGE', key, '0', '-1', 'WITHSCORES')) as Buffer[]).join(', ')}${expiry}`;
    case 'hash':
      return `hash {${pairs((await client.callBuffer('HGETALL', key)) as Buffer[]).sort().join(', ')}}${expiry}`;
    case 'stream': {
      const entries = show(await client.callBuffer('XRANGE', key, '-', '+'));
      const info = show(await client.callBuffer('XINFO', 'STREAM', key));
      const groups = (await client.callBuffer('XINFO', 'GROUPS', key)) as Buffer[][];
      const consumers: string[] = [];
      for (const group of groups) {
        const name = group[group.findIndex((f) => Buffer.isBuffer(f) && f.toString() === 'name') + 1] as Buffer;
        consumers.push(`${showBytes(name)}: ${consumersWithoutTimes((await client.callBuffer('XINFO', 'CONSUMERS', key, name)) as unknown[])}`);
      }
      return `stream ${entries} info ${info} groups ${show(groups)} consumers ${consumers.join('; ')}${expiry}`;
    }
    default:
      return `${type}${expiry}`;
  }
}
