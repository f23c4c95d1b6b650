// The backend connections one client holds: one release path, and none opened after it.
import { describe, expect, it } from 'vitest';
import type { ProxyContext } from '../../../src/handlers/proxy-context.js';
import type { NodeConnection } from '../../../src/backend/node-connection.js';
import { BackendAffinity, affinityOf } from '../../../src/session/backend-affinity.js';
import { ClientConnection, type ConnectionControl } from '../../../src/session/client-connection.js';

class FakeConnection {
  isClosed = false;
  isIdle = false;
  sent = 0;
  constructor(readonly address: string) {}
  close(): void {
    this.isClosed = true;
  }
  send(request: { onFailure: (f: unknown) => void }): void {
    this.sent++;
    if (this.isClosed) request.onFailure({ message: 'closed', neverSent: true, kind: 'closed' });
  }
}

function affinity() {
  const opened: FakeConnection[] = [];
  const pool = {
    dedicated: (address: string) => opened[opened.push(new FakeConnection(address)) - 1]!,
    // The pool hands a blocking command's connection over with its node-side id asked (blocking-spares.ts).
    blockingConnection: (address: string) => ({ conn: opened[opened.push(new FakeConnection(address)) - 1]!, backendId: Promise.resolve(7) }),
    connectionFor: () => new FakeConnection('shared'),
    recentlyFailed: () => false,
  };
  const proxy = { pool, topology: {}, metrics: {}, config: { maxRedirects: 5, commandTimeoutMs: 1000 }, runtime: {} } as unknown as ProxyContext;
  const client = { id: 1, lane: 0, protocol: 2 as const, db: 0 };
  return { a: new BackendAffinity(proxy, client), opened, client };
}

describe('backend affinity', () => {
  it('keeps one blocking connection per node, and release() closes it and the WATCH connection', () => {
    const { a, opened } = affinity();
    const first = a.blockingForward.connectionFor('10.0.0.1:7000');
    expect(a.blockingForward.connectionFor('10.0.0.1:7000')).toBe(first);
    a.blockingForward.connectionFor('10.0.0.2:7000');
    a.watch = { slot: 1, conn: a.dedicatedConnection('10.0.0.3:7000') };
    expect(a.heldConnections).toBe(3);
    a.release();
    expect(opened.every((c) => c.isClosed)).toBe(true);
    expect(a.heldConnections).toBe(0);
    expect(a.watch).toBeNull();
  });

  it('replaces a blocking connection whose socket broke (it would reconnect as another node-side client, its CLIENT ID wrong)', () => {
    const { a, opened } = affinity();
    const first = a.blockingForward.connectionFor('10.0.0.1:7000') as unknown as FakeConnection;
    first.isIdle = true;
    const second = a.blockingForward.connectionFor('10.0.0.1:7000');
    expect(second).not.toBe(first);
    expect(first.isClosed).toBe(true);
    expect(opened).toHaveLength(2);
  });

  it('closes at once a connection asked for after release (a reply that arrived after the client left)', () => {
    const { a } = affinity();
    a.release();
    expect((a.blockingForward.connectionFor('10.0.0.1:7000') as unknown as FakeConnection).isClosed).toBe(true);
    expect((a.dedicatedConnection('10.0.0.1:7000') as unknown as FakeConnection).isClosed).toBe(true);
  });

  it('a protocol change drops idle blocking connections (re-made in the new protocol) and keeps the WATCH one', () => {
    const { a, opened } = affinity();
    a.blockingForward.connectionFor('10.0.0.1:7000');
    const watch = a.dedicatedConnection('10.0.0.3:7000') as unknown as FakeConnection & NodeConnection;
    a.watch = { slot: 1, conn: watch };
    a.protocolChanged(3);
    expect(opened[0]!.isClosed).toBe(true);
    expect(watch.isClosed).toBe(false);
    expect(watch.sent).toBe(1); // HELLO 3 on the WATCH connection
  });

  it('remembers the masters written to until WAIT takes them', () => {
    const { a } = affinity();
    a.noteWrittenMaster('m1');
    a.noteWrittenMaster('m1');
    a.noteWrittenMaster('m2');
    expect(a.takeWrittenMasters().sort()).toEqual(['m1', 'm2']);
    expect(a.takeWrittenMasters()).toEqual([]);
  });
  it('asks the pool with the lane the client has at each command, the same both ways (issue #22)', () => {
    const asked: number[] = [];
    const pool = {
      connectionFor: (_address: string, affinity: number) => (asked.push(affinity), new FakeConnection('shared')),
      connectionForNode: (_node: unknown, affinity: number) => (asked.push(affinity), new FakeConnection('shared')),
      recentlyFailed: () => false,
    };
    const proxy = { pool, topology: {}, metrics: {}, config: { maxRedirects: 5, commandTimeoutMs: 1000 }, runtime: {} } as unknown as ProxyContext;
    const client = { id: 5755294831345666, lane: 0, protocol: 2 as const, db: 0 };
    const a = new BackendAffinity(proxy, client);
    const node = { address: '10.0.0.1:7000', addressId: 0 } as never;
    a.sharedForward.connectionFor('10.0.0.1:7000');
    a.sharedForward.connectionFor('10.0.0.1:7000', node);
    client.lane = 9; // chose another lane between pipelines: the context made before reads the new one
    a.sharedForward.connectionFor('10.0.0.1:7000');
    a.sharedForward.connectionFor('10.0.0.1:7000', node);
    expect(asked).toEqual([0, 0, 9, 9]);
  });
  it("rides lane 0 for a lone request and its own lane, a small integer from its id, for a pipelined burst (issue #22)", () => {
    const id = 5755294831345666; // a real client id: a double, not a small integer, to V8
    const connection = new ClientConnection(id, {} as ProxyContext, {} as ConnectionControl);
    expect(connection.lane).toBe(0);
    connection.chooseLane(true);
    expect(connection.lane).toBe(id % 2 ** 30);
    expect(connection.lane).toBeLessThan(2 ** 30); // what V8 keeps as a small integer: the pool's modulo is an integer one
    connection.chooseLane(false);
    expect(connection.lane).toBe(0);
    // Clients whose ids differ by one still alternate between a node's two connections when they pipeline.
    expect(affinityOf(id) % 2).not.toBe(affinityOf(id + 1) % 2);
  });
});
