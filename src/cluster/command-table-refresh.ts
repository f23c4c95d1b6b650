/**
 * Keeps the live command table (commands/live-command-table.ts) in step with the backend: read
 * COMMAND from a master at start and whenever the topology changes (a node replaced, a failover:
 * maybe a newer Redis or another module set), and on every periodic refresh ask COMMAND COUNT —
 * a few bytes — and read the whole table again only when the count moved (a module loaded or
 * unloaded, a rolling upgrade that reached the node asked).
 *
 * A new table is installed with one assignment (CommandCatalog.install) and only when it differs
 * from the current one; requests in flight keep the spec they were looked up with. When no master
 * answers, the table in use stays: the generated fallback until a backend has answered once.
 */
import type { Logger } from 'pino';
import type { NodePool } from '../backend/node-pool.js';
import { FALLBACK_COMMAND_TABLE, type CommandCatalog } from '../commands/command-table.js';
import { buildLiveCommandTable } from '../commands/live-command-table.js';
import { RespError } from '../protocol/reply-parser.js';
import type { TopologyManager } from './topology-manager.js';

export class CommandTableRefresh {
  /** COMMAND COUNT of the reply the installed table was built from; -1 before any. */
  private installedCount = -1;
  /** JSON of the installed commands, to tell a changed reply from the same one read again. */
  private installedFingerprint = '';
  private inflight: Promise<void> | null = null;

  constructor(
    private readonly pool: NodePool,
    private readonly topology: TopologyManager,
    private readonly logger: Logger,
    /** The instance's catalog the table read is installed in. */
    private readonly catalog: CommandCatalog,
  ) {}

  /** Reads COMMAND from a master and installs it if it differs. Never rejects. */
  refresh(): Promise<void> {
    this.inflight ??= this.readAndInstall().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** After a periodic topology refresh: COMMAND COUNT from a master, a full read if it moved. Never rejects. */
  async check(): Promise<void> {
    if (this.inflight) return;
    for (const address of this.candidates()) {
      try {
        const count = await this.pool.execute(address, ['COMMAND', 'COUNT']);
        if (typeof count !== 'number') continue;
        if (count !== this.installedCount) await this.refresh();
        return;
      } catch {
        // try the next master
      }
    }
  }

  private candidates(): string[] {
    const masters = this.topology.current.masters().map((m) => m.address);
    return [...masters.filter((a) => !this.pool.recentlyFailed(a)), ...masters.filter((a) => this.pool.recentlyFailed(a))];
  }

  private async readAndInstall(): Promise<void> {
    const failures: string[] = [];
    for (const address of this.candidates()) {
      try {
        const reply = await this.pool.execute(address, ['COMMAND']);
        if (reply instanceof RespError) throw new Error(reply.message);
        const table = buildLiveCommandTable(reply, `backend ${address}`);
        if (table === null || !Array.isArray(reply)) throw new Error('COMMAND replied no commands');
        const fingerprint = JSON.stringify(table.commands().map((spec) => [spec.name, spec.arity, [...spec.flags], spec.keySpecs, spec.subcommands ? [...spec.subcommands.keys()] : null]));
        this.installedCount = reply.length;
        if (fingerprint === this.installedFingerprint) return;
        const previous = this.catalog.current;
        this.catalog.install(table);
        this.installedFingerprint = fingerprint;
        const added = table.commands().filter((spec) => FALLBACK_COMMAND_TABLE.get(spec.name) === undefined).map((spec) => spec.name);
        this.logger.info(
          { source: table.source, commands: table.commands().length, previous: previous.source, beyondGenerated: added.slice(0, 50) },
          'command table loaded from the backend',
        );
        return;
      } catch (err) {
        failures.push(`${address}: ${(err as Error).message}`);
      }
    }
    this.logger.warn({ failures, using: this.catalog.current.source }, 'could not read COMMAND from any master; keeping the command table in use');
  }
}
