// The pool's by-id lookup (connectionForNode, issue #22) finds exactly what the by-address lookup
// finds, and forgets a group the moment the pool lets go of it: a retired connection is never
// handed out again through the faster way.
import { afterEach, describe, expect, it } from 'vitest';
import { addressId } from '../../../src/backend/address-ids.js';
import { NodePool } from '../../../src/backend/node-pool.js';

const pools: NodePool[] = [];
afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
});

function pool(): NodePool {
  const made = new NodePool({ connectionsPerNode: 2, connectTimeoutMs: 1000, commandTimeoutMs: 1000 });
  pools.push(made);
  return made;
}

const node = (address: string) => ({ address, addressId: addressId(address) });

describe('NodePool.connectionForNode', () => {
  it('gives each affinity the connection connectionFor gives it, whichever is asked first', () => {
    const p = pool();
    const a = node('127.0.0.1:7001');
    const b = node('127.0.0.1:7002');
    expect(p.connectionForNode(a, 4, 2, 0)).toBe(p.connectionFor('127.0.0.1:7001', 4));
    expect(p.connectionForNode(a, 5, 2, 0)).toBe(p.connectionFor('127.0.0.1:7001', 5));
    expect(p.connectionForNode(a, 4, 2, 0)).not.toBe(p.connectionForNode(a, 5, 2, 0));
    const first = p.connectionFor('127.0.0.1:7002', 9);
    expect(p.connectionForNode(b, 9, 2, 0)).toBe(first);
    // Another string of the same address (a later topology snapshot's) is the same id and group.
    expect(p.connectionForNode(node(['127.0.0.1', 7002].join(':')), 9, 2, 0)).toBe(first);
  });

  it('goes by address for RESP3 sessions and other databases, each its own group', () => {
    const p = pool();
    const a = node('127.0.0.1:7003');
    expect(p.connectionForNode(a, 1, 3, 0)).toBe(p.connectionFor('127.0.0.1:7003', 1, 3, 0));
    expect(p.connectionForNode(a, 1, 2, 2)).toBe(p.connectionFor('127.0.0.1:7003', 1, 2, 2));
    expect(p.connectionForNode(a, 1, 2, 2)).not.toBe(p.connectionForNode(a, 1, 2, 0));
    expect(p.connectionForNode(a, 1, 3, 0)).not.toBe(p.connectionForNode(a, 1, 2, 0));
  });

  it('never hands out a retired connection: retire and retainOnly drop the by-id entry with the group', () => {
    const p = pool();
    const a = node('127.0.0.1:7004');
    const b = node('127.0.0.1:7005');
    const oldA = p.connectionForNode(a, 0, 2, 0);
    const oldB = p.connectionForNode(b, 0, 2, 0);
    p.retire('127.0.0.1:7004');
    const newA = p.connectionForNode(a, 0, 2, 0);
    expect(newA).not.toBe(oldA);
    expect(newA).toBe(p.connectionFor('127.0.0.1:7004', 0));
    expect(p.connectionForNode(b, 0, 2, 0)).toBe(oldB); // the other node keeps its group
    p.retainOnly(new Set(['127.0.0.1:7004']));
    const newB = p.connectionForNode(b, 0, 2, 0);
    expect(newB).not.toBe(oldB);
    expect(newB).toBe(p.connectionFor('127.0.0.1:7005', 0));
    expect(p.connectionForNode(a, 0, 2, 0)).toBe(newA);
  });

  it('gives the same id to the same address, and different ids to different ones', () => {
    expect(addressId('10.0.0.1:6379')).toBe(addressId(`10.0.0.1:${6379}`));
    expect(addressId('10.0.0.1:6379')).not.toBe(addressId('10.0.0.1:6380'));
  });
});
