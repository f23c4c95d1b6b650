// The connection kept open for each node's next blocking command: handed over ready, replaced,
// and owned by the pool until taken (closed with it, or when its node leaves).
import { describe, expect, it } from 'vitest';
import { BlockingSpares } from '../../../src/backend/blocking-spares.js';
import type { NodeConnection } from '../../../src/backend/node-connection.js';

class FakeConnection {
  isClosed = false;
  isIdle = false;
  constructor(readonly address: string, readonly id: number) {}
  close(): void {
    this.isClosed = true;
  }
}

function spares(clientId: (n: number) => number | Error = (n) => n) {
  const opened: FakeConnection[] = [];
  const pool = new BlockingSpares(
    (address) => opened[opened.push(new FakeConnection(address, opened.length + 1)) - 1] as unknown as NodeConnection,
    async (conn) => {
      const answer = clientId((conn as unknown as FakeConnection).id);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  );
  return { pool, opened };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('blocking spares', () => {
  it('hands the next blocking command the connection opened ahead, its CLIENT ID asked, and opens another', async () => {
    const { pool, opened } = spares();
    const first = pool.take('10.0.0.1:7000', 2, 0);
    expect(opened).toHaveLength(2); // the first one taken, and a spare behind it
    expect(await first.backendId).toBe(1);
    const second = pool.take('10.0.0.1:7000', 2, 0);
    expect(second.conn).toBe(opened[1]);
    expect(await second.backendId).toBe(2);
    expect(opened).toHaveLength(3);
  });

  it('keeps spares apart by node, protocol and database', () => {
    const { pool, opened } = spares();
    pool.take('10.0.0.1:7000', 2, 0);
    const resp3 = pool.take('10.0.0.1:7000', 3, 0);
    const db1 = pool.take('10.0.0.1:7000', 2, 1);
    const other = pool.take('10.0.0.2:7000', 2, 0);
    for (const taken of [resp3, db1, other]) expect(opened.indexOf(taken.conn as unknown as FakeConnection) % 2).toBe(0);
  });

  it('never hands over a spare that broke or whose CLIENT ID failed: it is closed and a new one made', async () => {
    const { pool, opened } = spares((n) => (n === 2 ? new Error('connection lost') : n));
    pool.take('10.0.0.1:7000', 2, 0);
    await settle();
    const taken = pool.take('10.0.0.1:7000', 2, 0);
    expect(opened[1]!.isClosed).toBe(true);
    expect(taken.conn).toBe(opened[2]);
    opened[3]!.isClosed = true; // the next spare was closed
    expect(pool.take('10.0.0.1:7000', 2, 0).conn).toBe(opened[4]);
    opened[5]!.isIdle = true; // the next one's socket broke: it would reconnect as another client
    expect(pool.take('10.0.0.1:7000', 2, 0).conn).toBe(opened[6]);
    expect(opened[5]!.isClosed).toBe(true);
  });

  it('closes the spares of a node that leaves, and every spare when the pool closes; none is made after', () => {
    const { pool, opened } = spares();
    pool.take('10.0.0.1:7000', 2, 0);
    pool.take('10.0.0.2:7000', 2, 0);
    pool.dropWhere((address) => address === '10.0.0.1:7000');
    expect(opened.filter((c) => c.isClosed).map((c) => c.address)).toEqual(['10.0.0.1:7000']);
    pool.close();
    expect(opened[3]!.isClosed).toBe(true);
    const late = pool.take('10.0.0.2:7000', 2, 0);
    expect(opened).toHaveLength(5);
    expect(late.conn).toBe(opened[4]); // the caller's own: it closes it
  });

  it('says when the spare is open and signed in (its CLIENT ID answered), and not for a failed one or none', async () => {
    const { pool } = spares((n) => (n === 4 ? new Error('connection lost') : n));
    expect(await pool.ready('10.0.0.1:7000', 2, 0)).toBe(false);
    pool.take('10.0.0.1:7000', 2, 0);
    expect(await pool.ready('10.0.0.1:7000', 2, 0)).toBe(true);
    pool.take('10.0.0.1:7000', 2, 0);
    pool.take('10.0.0.1:7000', 2, 0); // its spare (the 4th connection) fails
    expect(await pool.ready('10.0.0.1:7000', 2, 0)).toBe(false);
  });
});
