/**
 * Node ids for backends that have none (standalone and Sentinel): the SHA-1 of "host:port", 40 hex
 * like a cluster node id, so `INFO server <id>` and node-zones work the same. The address, not the
 * run id: a node restarted in place keeps its id, and a target an operator noted stays valid.
 */
import { createHash } from 'node:crypto';

export function addressNodeId(host: string, port: number): string {
  return createHash('sha1').update(`${host}:${port}`).digest('hex');
}
