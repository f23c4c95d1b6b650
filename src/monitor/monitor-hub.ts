/**
 * MONITOR through the proxy (README: *Cross-slot commands, node targeting and the cluster view*): every session publishes the commands it runs here, and
 * the hub copies each line to the sessions that asked for MONITOR. Zero cost when nobody
 * monitors: sessions test the plain `active` field before doing anything, so the line is neither
 * formatted nor timestamped.
 */
import type { CommandCatalog } from '../commands/command-table.js';
import { monitorLine } from './monitor-line.js';

/** Receives feed lines (encoded simple-string frames). */
export type MonitorSink = (frame: Buffer) => void;

export class MonitorHub {
  private readonly sinks = new Set<MonitorSink>();
  /** True while at least one client monitors; read on every command, so a field, not a getter. */
  active = false;

  /** `catalog`: the instance's command table (which commands MONITOR leaves out). */
  constructor(private readonly catalog: CommandCatalog) {}

  /** Starts feeding `sink`; returns the function that stops it. */
  attach(sink: MonitorSink): () => void {
    this.sinks.add(sink);
    this.active = true;
    return () => {
      this.sinks.delete(sink);
      this.active = this.sinks.size > 0;
    };
  }

  get monitorCount(): number {
    return this.sinks.size;
  }

  /** One command from the client at `clientAddress`; call only when `active`. */
  publish(clientAddress: string, args: readonly Buffer[]): void {
    if (!shownInMonitor(this.catalog, args)) return;
    const epochMicros = Math.round((performance.timeOrigin + performance.now()) * 1000);
    const frame = monitorLine(epochMicros, clientAddress, args);
    for (const sink of this.sinks) sink(frame);
  }
}

/**
 * Redis 7 never shows administrative commands (flagged `admin`: CONFIG, ACL, MONITOR, CLIENT
 * KILL, SLOWLOG, DEBUG, …) in MONITOR, "too dangerous to be shown" — their arguments are where
 * the node passwords and ACL rules are. The feed leaves them out the same way, slotgate's
 * IMONITOR included; auth/redact.ts still hides their secrets wherever they are shown.
 */
function shownInMonitor(catalog: CommandCatalog, args: readonly Buffer[]): boolean {
  const lookup = catalog.lookup(args);
  return !lookup.ok || !lookup.spec.isAdmin;
}
