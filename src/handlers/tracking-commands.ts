/**
 * CLIENT TRACKING, CACHING, TRACKINGINFO and GETREDIR, with Redis 7's checks in Redis's order
 * and its words (networking.c clientCommand, tracking.c); the invalidations themselves come from
 * upstream/tracking-hub.ts. `noteTrackedCommand` is the per-command hook (handlers/dispatch.ts):
 * a client that never turned tracking on pays one null check.
 *
 * REDIRECT names a client of this slotgate (its CLIENT ID); the ids of other slotgates' clients
 * do not exist here. NOLOOP is accepted and shown, but a client still hears of its own writes:
 * every write reaches a node on connections shared by all clients, so the node cannot say whose
 * write it invalidates, and an extra invalidation is safe where a missing one is not.
 */
import { asciiEqualsIgnoreCase, parseRedisInteger } from '../commands/argument-bytes.js';
import type { CommandSpec } from '../commands/command-table.js';
import { getKeyIndexes } from '../commands/key-extraction.js';
import * as errors from '../errors/catalogue.js';
import { OK } from '../protocol/constants.js';
import { encodeArrayOfFrames, encodeBulk, encodeInteger } from '../protocol/encoder.js';
import { encodeSet, mapReply } from '../protocol/resp3-encoder.js';
import { ClientTracking } from '../upstream/tracking-client.js';
import type { TrackingHub } from '../upstream/tracking-hub.js';
import type { TrackingTable } from '../upstream/tracking-table.js';
import type { CommandCall, CommandHandler, ConnectionState } from './command-call.js';
import type { HandlerServices } from './handler-services.js';

interface TrackingOptions {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  prefixes: Buffer[];
}

/** The options after ON|OFF, or the error Redis gives while reading them. */
function parseOptions(call: CommandCall, findClient: TrackingDependencies['findClient']): TrackingOptions | errors.ErrorReply {
  const args = call.args;
  const options: TrackingOptions = { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, prefixes: [] };
  for (let j = 3; j < args.length; j++) {
    const arg = args[j]!;
    const more = j + 1 < args.length;
    if (asciiEqualsIgnoreCase(arg, 'redirect') && more) {
      j++;
      if (options.redirect !== 0) return errors.TRACKING_ONE_REDIRECT;
      const id = parseRedisInteger(args[j]!);
      if (id === null) return errors.NOT_AN_INTEGER;
      if (findClient(id) === undefined) return errors.TRACKING_NO_REDIRECT_CLIENT;
      options.redirect = id;
    } else if (asciiEqualsIgnoreCase(arg, 'bcast')) options.bcast = true;
    else if (asciiEqualsIgnoreCase(arg, 'optin')) options.optin = true;
    else if (asciiEqualsIgnoreCase(arg, 'optout')) options.optout = true;
    else if (asciiEqualsIgnoreCase(arg, 'noloop')) options.noloop = true;
    else if (asciiEqualsIgnoreCase(arg, 'prefix') && more) options.prefixes.push(Buffer.from(args[++j]!));
    else return errors.SYNTAX;
  }
  return options;
}

/** Redis's stringCheckPrefix: one is a prefix of the other (equal ones too). */
function overlaps(a: Buffer, b: Buffer): boolean {
  const n = Math.min(a.length, b.length);
  return a.compare(b, 0, n, 0, n) === 0;
}

/** The error for turning tracking on with `options` now, or null (Redis's checks, in its order). */
function refusalOfOn(tracking: ClientTracking | null, options: TrackingOptions): errors.ErrorReply | null {
  const on = tracking?.on === true;
  if (!options.bcast && options.prefixes.length > 0) return errors.TRACKING_PREFIX_NEEDS_BCAST;
  if (on && tracking!.bcast !== options.bcast) return errors.TRACKING_SWITCH_BCAST;
  if (options.bcast && (options.optin || options.optout)) return errors.TRACKING_OPT_WITH_BCAST;
  if (options.optin && options.optout) return errors.TRACKING_OPTIN_AND_OPTOUT;
  if (on && ((options.optin && tracking!.optout) || (options.optout && tracking!.optin))) return errors.TRACKING_SWITCH_OPT;
  if (!options.bcast) return null;
  const existing = on ? tracking!.prefixes : [];
  for (let i = 0; i < options.prefixes.length; i++) {
    const prefix = options.prefixes[i]!;
    const old = existing.find((p) => overlaps(p, prefix));
    if (old) return errors.trackingPrefixOverlap(prefix, old, true);
    for (let j = i + 1; j < options.prefixes.length; j++) {
      if (overlaps(prefix, options.prefixes[j]!)) return errors.trackingPrefixOverlap(prefix, options.prefixes[j]!, false);
    }
  }
  return null;
}

/** What CLIENT TRACKING uses besides its call: the tracking hub, and this slotgate's clients (REDIRECT). */
export type TrackingDependencies = Pick<HandlerServices, 'tracking' | 'findClient'>;

export function trackingCommand(deps: TrackingDependencies): CommandHandler {
  return (call) => runTracking(call, deps);
}

function runTracking(call: CommandCall, deps: TrackingDependencies): void {
  const options = parseOptions(call, deps.findClient);
  if (!('redirect' in options)) return call.fail(options);
  const connection = call.connection;
  const mode = call.args[2]!;
  if (asciiEqualsIgnoreCase(mode, 'off')) {
    trackingOff(connection, deps.tracking);
    return call.reply(OK);
  }
  if (!asciiEqualsIgnoreCase(mode, 'on')) return call.fail(errors.SYNTAX);
  const refusal = refusalOfOn(connection.tracking, options);
  if (refusal) return call.fail(refusal);
  const tracking = (connection.tracking ??= new ClientTracking(connection));
  // enableTracking: the mode flags are replaced, BCAST prefixes added to those there ("" for none).
  const wasOn = tracking.on;
  tracking.on = true;
  // Nothing read under tracking yet: no null invalidation is owed until it reads.
  if (!wasOn) tracking.emptied = true;
  tracking.brokenRedirect = false;
  tracking.redirectId = options.redirect;
  tracking.redirect = options.redirect === 0 ? null : deps.findClient(options.redirect) ?? null;
  tracking.bcast = options.bcast;
  tracking.optin = options.optin;
  tracking.optout = options.optout;
  tracking.noloop = options.noloop;
  if (options.bcast) {
    const added = options.prefixes.length === 0 ? [Buffer.alloc(0)] : options.prefixes;
    tracking.prefixes = [...(wasOn ? tracking.prefixes : []), ...added].sort(Buffer.compare);
  }
  deps.tracking.enable(tracking);
  // Answered once every master's tracking connection was tried, so the reads that follow are reported.
  deps.tracking.whenSettled(call.guard(() => call.reply(OK)));
}

/** CLIENT TRACKING OFF, RESET, and a closing connection: Redis's disableTracking. */
export function trackingOff(connection: ConnectionState, hub: Pick<TrackingHub, 'disable'>): void {
  const tracking = connection.tracking;
  if (tracking === null || !tracking.on) return;
  hub.disable(tracking);
  tracking.on = tracking.bcast = tracking.optin = tracking.optout = tracking.noloop = tracking.caching = tracking.brokenRedirect = false;
  tracking.prefixes = [];
}

/** The connection is closing: tracking off, and its state lets go of the connection (see ClientTracking.detach). */
export function releaseTracking(connection: ConnectionState, hub: Pick<TrackingHub, 'disable'>): void {
  trackingOff(connection, hub);
  connection.tracking?.detach();
}

export function runCaching(call: CommandCall): void {
  const tracking = call.connection.tracking;
  if (tracking === null || !tracking.on) return call.fail(errors.CACHING_NOT_TRACKING);
  const value = call.args[2]!;
  if (asciiEqualsIgnoreCase(value, 'yes')) {
    if (!tracking.optin) return call.fail(errors.CACHING_YES_NEEDS_OPTIN);
  } else if (asciiEqualsIgnoreCase(value, 'no')) {
    if (!tracking.optout) return call.fail(errors.CACHING_NO_NEEDS_OPTOUT);
  } else return call.fail(errors.SYNTAX);
  tracking.caching = true;
  call.reply(OK);
}

export function runGetRedir(call: CommandCall): void {
  const tracking = call.connection.tracking;
  call.reply(encodeInteger(tracking?.on ? tracking.redirectId : -1));
}

export function runTrackingInfo(call: CommandCall): void {
  const tracking = call.connection.tracking;
  const on = tracking?.on === true;
  const flags: string[] = [];
  if (!on) flags.push('off');
  else {
    flags.push('on');
    if (tracking!.bcast) flags.push('bcast');
    if (tracking!.optin) flags.push('optin');
    if (tracking!.optin && tracking!.caching) flags.push('caching-yes');
    if (tracking!.optout) flags.push('optout');
    if (tracking!.optout && tracking!.caching) flags.push('caching-no');
    if (tracking!.noloop) flags.push('noloop');
    if (tracking!.brokenRedirect) flags.push('broken_redirect');
  }
  const protocol = call.connection.protocol;
  const flagFrames = flags.map((f) => encodeBulk(f));
  call.reply(
    mapReply(protocol, [
      encodeBulk('flags'),
      protocol === 3 ? encodeSet(flagFrames) : encodeArrayOfFrames(flagFrames),
      encodeBulk('redirect'),
      encodeInteger(on ? tracking!.redirectId : -1),
      encodeBulk('prefixes'),
      encodeArrayOfFrames((on ? tracking!.prefixes : []).map((p) => encodeBulk(p))),
    ]),
  );
}

/**
 * Before a command of a client with tracking on runs (or is queued): remembers the keys of a
 * read, the way Redis's call() does for CMD_READONLY commands, BEFORE it is sent, so that an
 * invalidation arriving while it is in flight is not lost (and reaches the client after the
 * reply, see upstream/tracking-client.ts). CLIENT CACHING lasts for one command: any command but
 * a CLIENT one, outside MULTI, uses it up (Redis's resetClient).
 */
export function noteTrackedCommand(call: CommandCall, tracking: ClientTracking, spec: CommandSpec, table: Pick<TrackingTable, 'remember'>): void {
  if (spec.isReadonly) tracking.emptied = false;
  if (spec.isReadonly && tracking.remembersReads && call.nodeTarget === null) {
    const indexes = getKeyIndexes(spec, call.args);
    if (Array.isArray(indexes) && indexes.length > 0) table.remember(tracking, indexes.map((i) => call.args[i]!));
  }
  if ((spec.parent ?? spec).name !== 'client' && call.connection.transaction === null) tracking.caching = false;
}
