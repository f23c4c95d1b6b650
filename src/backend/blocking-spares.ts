/**
 * One connection kept open per node (and protocol and database) for the next client that blocks
 * (BLPOP, XREAD BLOCK, XREADGROUP … BLOCK): it is handed over ready, its node-side client id
 * (CLIENT UNBLOCK needs it) already asked, and a new spare is opened behind it.
 *
 * Why: a blocking command runs on a connection of its client's own. Opened on demand, the command
 * waits for a TCP connect and the sign-in (AUTH, HELLO, SELECT) while other clients' commands
 * travel connections already open, so a write sent to slotgate *after* the blocking command could
 * reach the node *before* it — a `DEL` meant to wake an `XREADGROUP … BLOCK 0` would instead find
 * it not yet there (Redis's own suite expects that order, as a single Redis gives it). Handed a
 * spare, the blocking command is written at once, ahead of what arrives after it.
 *
 * Spares are made lazily (after a node's first blocking command), belong to the pool and are
 * closed with it, or when their node leaves the topology; the connection taken belongs to the
 * client (session/backend-affinity.ts closes it).
 */
import type { NodeConnection } from './node-connection.js';
import type { RespVersion } from '../protocol/resp3-encoder.js';
import type { RespValue } from '../protocol/reply-parser.js';

export interface BlockingConnection {
  readonly conn: NodeConnection;
  /** Its node-side client id (CLIENT ID, sent first), or null when that failed. */
  readonly backendId: Promise<number | null>;
}

interface Spare extends BlockingConnection {
  readonly address: string;
  /** Set once CLIENT ID failed: the connection is of no use. */
  failed: boolean;
}

export class BlockingSpares {
  private readonly spares = new Map<string, Spare>();
  private closed = false;

  constructor(
    /** A new dedicated connection for blocking commands (no command timeout). */
    private readonly open: (address: string, protocol: RespVersion, db: number) => NodeConnection,
    private readonly execute: (conn: NodeConnection, args: string[]) => Promise<RespValue>,
  ) {}

  /** A connection for a blocking command to `address`: the spare if it is sound, else a new one. */
  take(address: string, protocol: RespVersion, db: number): BlockingConnection {
    const key = `${address}|${protocol}|${db}`;
    const spare = this.spares.get(key);
    this.spares.delete(key);
    const usable = spare !== undefined && sound(spare);
    if (spare && !usable) spare.conn.close();
    const taken = usable ? spare : this.make(address, protocol, db);
    if (!this.closed) this.spares.set(key, this.make(address, protocol, db));
    return { conn: taken.conn, backendId: taken.backendId };
  }

  /**
   * Resolves true once the spare for `address` is open and signed in (its CLIENT ID answered), so
   * the next blocking command there is written at once; false when there is none or it failed.
   */
  async ready(address: string, protocol: RespVersion, db: number): Promise<boolean> {
    const spare = this.spares.get(`${address}|${protocol}|${db}`);
    return spare !== undefined && (await spare.backendId) !== null && sound(spare);
  }

  /** Closes the spares of the nodes `matches` names (they left the topology or were failed over). */
  dropWhere(matches: (address: string) => boolean): void {
    for (const [key, spare] of this.spares) {
      if (!matches(spare.address)) continue;
      spare.conn.close();
      this.spares.delete(key);
    }
  }

  close(): void {
    this.closed = true;
    this.dropWhere(() => true);
  }

  private make(address: string, protocol: RespVersion, db: number): Spare {
    const conn = this.open(address, protocol, db);
    const spare: Spare = {
      address,
      conn,
      failed: false,
      backendId: this.execute(conn, ['CLIENT', 'ID']).then(
        (reply) => (typeof reply === 'number' ? reply : null),
        () => null,
      ),
    };
    void spare.backendId.then((id) => {
      if (id === null) spare.failed = true;
    });
    return spare;
  }
}

/**
 * A spare worth handing over: its CLIENT ID did not fail, and its socket is still the one that
 * asked it (a connection whose socket broke goes idle and would reconnect as another node-side
 * client, making the id CLIENT UNBLOCK needs wrong).
 */
function sound(spare: Spare): boolean {
  return !spare.failed && !spare.conn.isClosed && !spare.conn.isIdle;
}
