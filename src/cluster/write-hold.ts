/**
 * Holding the commands for a master that is being failed over (issue #19), so that none is
 * acknowledged by a master about to be demoted and then dropped with its unreplicated writes.
 *
 * From the first sign of a failover of the master at an address (a Sentinel's `+selected-slave`,
 * `+failover-state-send-slaveof-noone` or `+promoted-slave`, or a `-READONLY` answer from it),
 * commands bound for it are parked here in arrival order instead of being sent. When a topology
 * refresh confirms another master (TopologyManager), they resume in that order and go to the new
 * one. A parked command past its own deadline (command-timeout) fails then; the hold itself ends
 * after `maxHoldMs` (a failover that never completes, an abort nobody heard) or when the Sentinels
 * announce an abort, and what is still parked then goes wherever the topology says.
 */
export interface ParkedCommand {
  /** When it stops waiting (ms since the epoch). */
  readonly deadline: number;
  /** Sends it again from scratch (a fresh master lookup). */
  resume(): void;
  /** Fails it: its deadline passed while parked. */
  expire(): void;
}

interface Held {
  readonly since: number;
  readonly reason: string;
  parked: ParkedCommand[];
  /** Ends the hold at `maxHoldMs`. */
  readonly endTimer: NodeJS.Timeout;
  /** Fails parked commands at their deadlines. */
  expiryTimer: NodeJS.Timeout | null;
}

export interface WriteHoldEvents {
  started(address: string, reason: string): void;
  ended(address: string, how: 'new master' | 'timeout' | 'aborted', heldMs: number, parked: number): void;
}

export class WriteHold {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly maxHoldMs: number,
    private readonly events: WriteHoldEvents,
  ) {}

  /** True while commands for the master at `address` are being held (on every forwarded command: cheap). */
  isHeld(address: string): boolean {
    return this.held.size > 0 && this.held.has(address);
  }

  /** Addresses held now. */
  addresses(): string[] {
    return [...this.held.keys()];
  }

  /** Starts holding commands for `address` (nothing when already held). */
  hold(address: string, reason: string): void {
    if (this.held.has(address)) return;
    const endTimer = setTimeout(() => this.release(address, 'timeout'), this.maxHoldMs);
    endTimer.unref();
    this.held.set(address, { since: Date.now(), reason, parked: [], endTimer, expiryTimer: null });
    this.events.started(address, reason);
  }

  /** Parks `command` behind the others for `address`; false when `address` is not held. */
  park(address: string, command: ParkedCommand): boolean {
    const held = this.held.get(address);
    if (!held) return false;
    held.parked.push(command);
    if (!held.expiryTimer) this.scheduleExpiry(held);
    return true;
  }

  /** Ends the hold of `address`: its parked commands resume, in order. */
  release(address: string, how: 'new master' | 'timeout' | 'aborted'): void {
    const held = this.held.get(address);
    if (!held) return;
    this.held.delete(address);
    clearTimeout(held.endTimer);
    if (held.expiryTimer) clearTimeout(held.expiryTimer);
    this.events.ended(address, how, Date.now() - held.since, held.parked.length);
    for (const command of held.parked) command.resume();
  }

  /** Ends every hold whose address is not in `masters` (a refresh confirmed another master). */
  releaseAllBut(masters: ReadonlySet<string>): void {
    for (const address of this.addresses()) if (!masters.has(address)) this.release(address, 'new master');
  }

  stop(): void {
    for (const held of this.held.values()) {
      clearTimeout(held.endTimer);
      if (held.expiryTimer) clearTimeout(held.expiryTimer);
      for (const command of held.parked) command.expire();
    }
    this.held.clear();
  }

  /** One timer per hold, at the earliest deadline among its parked commands. */
  private scheduleExpiry(held: Held): void {
    const first = held.parked.reduce((min, c) => Math.min(min, c.deadline), Infinity);
    if (first === Infinity) return;
    held.expiryTimer = setTimeout(() => {
      held.expiryTimer = null;
      const now = Date.now();
      const expired = held.parked.filter((c) => c.deadline <= now);
      held.parked = held.parked.filter((c) => c.deadline > now);
      for (const command of expired) command.expire();
      this.scheduleExpiry(held);
    }, Math.max(0, first - Date.now()));
    held.expiryTimer.unref();
  }
}
