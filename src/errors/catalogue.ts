/**
 * Every error reply slotgate makes itself, in one place. Texts copy Redis's own
 * wherever Redis has one, so clients that match on error strings keep working.
 * Backend errors that only pass through are not here: they are forwarded as framed.
 */
import { encodeError } from '../protocol/encoder.js';
import type { ProxyErrorKind } from '../observability/metrics.js';

export interface ErrorReply {
  readonly frame: Buffer;
  readonly kind: ProxyErrorKind;
}

/** `message` as bytes when it quotes client input: the client's bytes come back unchanged. */
function error(kind: ProxyErrorKind, message: string | Buffer): ErrorReply {
  return { frame: encodeError(message), kind };
}

/** The argument as C's `%s` prints it: up to its first NUL byte. */
function cString(arg: Buffer): Buffer {
  const nul = arg.indexOf(0);
  return nul === -1 ? arg : arg.subarray(0, nul);
}

export const CROSSSLOT = error('crossslot', "CROSSSLOT Keys in request don't hash to the same slot");
export const SLOT_NOT_SERVED = error('backend', 'CLUSTERDOWN Hash slot not served');
export const SELECT_NOT_ALLOWED = error('not_supported', 'ERR SELECT is not allowed in cluster mode');
/** SELECT beyond the backend's `databases` (standalone and Sentinel backends), Redis's text. */
export const DB_INDEX_OUT_OF_RANGE = error('invalid_argument', 'ERR DB index is out of range');
/** An argument Redis reads as a C int (getIntFromObjectOrReply) beyond it; Redis's own words, grammar included. */
export const NOT_AN_INT32 = error('invalid_argument', 'ERR value is out of range, value must between -2147483648 and 2147483647');
export const NOPROTO = error('protocol_version', 'NOPROTO unsupported protocol version');
// CLIENT TRACKING / CACHING, Redis 7's words (handlers/tracking-commands.ts).
export const TRACKING_PREFIX_NEEDS_BCAST = error('syntax', 'ERR PREFIX option requires BCAST mode to be enabled');
export const TRACKING_SWITCH_BCAST = error('syntax', "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.");
export const TRACKING_OPT_WITH_BCAST = error('syntax', 'ERR OPTIN and OPTOUT are not compatible with BCAST');
export const TRACKING_OPTIN_AND_OPTOUT = error('syntax', "ERR You can't specify both OPTIN mode and OPTOUT mode");
export const TRACKING_SWITCH_OPT = error('syntax', "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
export const TRACKING_ONE_REDIRECT = error('syntax', 'ERR A client can only redirect to a single other client');
export const TRACKING_NO_REDIRECT_CLIENT = error('invalid_argument', 'ERR The client ID you want redirect to does not exist');
export const CACHING_NOT_TRACKING = error('syntax', 'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
export const CACHING_YES_NEEDS_OPTIN = error('syntax', 'ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
export const CACHING_NO_NEEDS_OPTOUT = error('syntax', 'ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
/** `ERR Prefix 'x' overlaps with an existing prefix 'y'. …` (`existing`) or `… with another provided prefix 'y'. …`. */
export function trackingPrefixOverlap(prefix: Buffer, other: Buffer, existing: boolean): ErrorReply {
  const where = existing ? 'an existing prefix' : 'another provided prefix';
  return error('syntax', Buffer.concat([Buffer.from("ERR Prefix '"), cString(prefix), Buffer.from(`' overlaps with ${where} '`), cString(other), Buffer.from("'. Prefixes for a single client must not overlap.")]));
}
export const TOO_MANY_REDIRECTS = error('backend', 'TRYAGAIN slotgate gave up after too many MOVED/ASK redirections; the cluster is still resharding');
export const MAX_CLIENTS = error('max_clients', 'ERR max number of clients reached');

/** A fault in slotgate's own code failed this one command (see Session.internalError). */
export const INTERNAL_ERROR = error('internal', 'ERR slotgate internal error: the command failed inside the proxy (logged)');

/**
 * Errors of the command table's lookup (unknown command or sub-command, wrong arity) and of key
 * extraction (numkeys, XREAD's streams, syntax), told apart by Redis's own texts.
 */
export function fromLookup(message: string | Buffer): ErrorReply {
  return error(lookupErrorKind(message), message);
}

function lookupErrorKind(message: string | Buffer): ProxyErrorKind {
  if (message.includes('wrong number of arguments')) return 'wrong_arity';
  if (message.includes('ERR unknown command') || message.includes('ERR unknown subcommand')) return 'unknown_command';
  if (message.includes('ERR syntax error')) return 'syntax';
  return 'invalid_argument';
}

/** `ERR Syntax error in HELLO option '<option>'`, the option's bytes as Redis prints them (%s). */
export function helloOptionSyntax(option: Buffer): ErrorReply {
  return error('syntax', Buffer.concat([Buffer.from("ERR Syntax error in HELLO option '"), cString(option), Buffer.from("'")]));
}

export function notSupported(command: string): ErrorReply {
  return error('not_supported', `ERR command '${command}' is not supported by slotgate`);
}

/**
 * A command whose keys the backend itself finds at run time (movable keys, a module's getkeys
 * callback) and whose key specs do not say where they are: routing it would be a guess.
 */
export function keysNotRoutable(command: string): ErrorReply {
  return error(
    'unknown_command',
    `ERR command '${command}' cannot be routed by slotgate: its key positions are not described by its key specs (send it to one node with a node suffix, e.g. '${command} ... @0')`,
  );
}

/** A backend request that failed (connection lost, timeout), or whose reply slotgate failed to handle. */
export function backendFailure(failure: { readonly message: string; readonly kind: string }): ErrorReply {
  if (failure.kind === 'internal') return INTERNAL_ERROR;
  return error('backend', `ERR slotgate backend error: ${failure.message}`);
}

export function backendUnreachable(message: string): ErrorReply {
  return error('backend', `CLUSTERDOWN the node serving this slot is unreachable (${message})`);
}

/** A ProtocolError's message is one character per byte (see protocol-error.ts): sent back as those bytes. */
export function protocolError(message: string): ErrorReply {
  return error('protocol', Buffer.from(`ERR ${message}`, 'latin1'));
}

export function generic(kind: ProxyErrorKind, message: string): ErrorReply {
  return error(kind, message);
}

// Connection and transaction state (texts as Redis 7.0 says them).
export const NOT_AN_INTEGER = error('invalid_argument', 'ERR value is not an integer or out of range');
/** WAIT's timeout, as getTimeoutFromObjectOrReply words it. */
export const WAIT_TIMEOUT_NOT_INTEGER = error('invalid_argument', 'ERR timeout is not an integer or out of range');
export const TIMEOUT_NEGATIVE = error('invalid_argument', 'ERR timeout is negative');
export const MULTI_NESTED = error('transaction', 'ERR MULTI calls can not be nested');
export const EXEC_WITHOUT_MULTI = error('transaction', 'ERR EXEC without MULTI');
export const DISCARD_WITHOUT_MULTI = error('transaction', 'ERR DISCARD without MULTI');
export const WATCH_INSIDE_MULTI = error('transaction', 'ERR WATCH inside MULTI is not allowed');
export const EXECABORT = error('transaction', 'EXECABORT Transaction discarded because of previous errors.');
export const PROTOCOL_VERSION = error('protocol_version', 'ERR Protocol version is not an integer or out of range');
export const SYNTAX = error('syntax', 'ERR syntax error');
export const BAD_CLIENT_NAME = error('invalid_argument', 'ERR Client names cannot contain spaces, newlines or special characters.');

// Accounts and disabled commands (README: *Accounts, read/write splitting, disabled commands, reload*). Texts as Redis 7.0 says them; none quotes a secret.
export const WRONGPASS = error('auth', 'WRONGPASS invalid username-password pair or user is disabled.');
export const NOAUTH = error('auth', 'NOAUTH Authentication required.');
export const HELLO_NOAUTH = error(
  'auth',
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
);

/** `command` is the full name from the command table, e.g. `set`, `config|set` (as Redis prints it). */
export function noPermission(command: string): ErrorReply {
  return error('noperm', `NOPERM this user has no permissions to run the '${command}' command`);
}

/** `name` as the operator listed it in disable-command-list (lower case). */
export function commandDisabled(name: string): ErrorReply {
  return error('disabled', `ERR command '${name}' is disabled`);
}

/** A RESP2 client in subscribed mode ran another command; `command` is the full name (`client|id`). */
export function notAllowedWhileSubscribed(command: string): ErrorReply {
  return error('unknown_command', `ERR Can't execute '${command}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
}

export function notAllowedInTransaction(command: string): ErrorReply {
  return error('transaction', `ERR Command '${command}' is not allowed inside a transaction`);
}

// Fan-out, node targeting and the proxy's own cluster view (README: *Cross-slot commands, node targeting and the cluster view*).
/**
 * A fanned-out command whose part `part` (e.g. `@1 master 3c1f…`) failed: the whole command fails.
 * `message` as bytes when it is the node's error text, which may quote the client's bytes.
 */
export function fanoutPartFailed(command: string, part: string, message: string | Buffer): ErrorReply {
  return error('backend', Buffer.concat([Buffer.from(`ERR slotgate: ${command} failed on ${part}: `), Buffer.from(message)]));
}

/** Parts that must agree (SCRIPT LOAD's sha, CONFIG SET's +OK) answered differently. */
export function fanoutDisagreement(command: string, part: string, otherPart: string): ErrorReply {
  return error('backend', `ERR slotgate: ${command} got different replies from ${part} and ${otherPart}`);
}

/** `selector` as the client wrote it (bytes, quoted back unchanged): a node ID or `@N`. */
export function noSuchNode(selector: string | Buffer): ErrorReply {
  return error(
    'invalid_argument',
    Buffer.concat([
      Buffer.from("ERR no such node '"),
      Buffer.from(selector),
      Buffer.from("' (a backend node ID as GET /v1/topology on the admin port lists them, or @<shard index>)"),
    ]),
  );
}

export const INVALID_CURSOR = error('invalid_argument', 'ERR invalid cursor');
export const NODE_CURSOR_TOO_LARGE = error('backend', 'ERR slotgate: a backend node returned a SCAN cursor too large to combine with a shard index');
export const CONFIG_SET_DENIED = error('disabled', 'ERR CONFIG SET is not allowed through this proxy (config-set: deny)');
/** A parameter slotgate never forwards (commands/config-parameters.ts), `name` lower case as the client wrote it. */
export function configSetProtected(name: string): ErrorReply {
  return error('disabled', `ERR CONFIG SET of '${name}' is not allowed through this proxy (protected parameter)`);
}
export const IMONITOR_LOST = error('backend', 'ERR slotgate: the IMONITOR connection to the backend node was lost');

// CLIENT (handlers/client-commands.ts): Redis's texts; quoted arguments come back as the client's bytes.
export const NO_SUCH_CLIENT = error('unknown_command', 'ERR No such client');
export const CLIENT_ID_NOT_POSITIVE = error('unknown_command', 'ERR client-id should be greater than 0');
export const INVALID_CLIENT_ID = error('unknown_command', 'ERR Invalid client ID');
export const UNBLOCK_REASON = error('unknown_command', 'ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');

export function unknownClientType(type: Buffer): ErrorReply {
  return error('unknown_command', Buffer.concat([Buffer.from("ERR Unknown client type '"), cString(type), Buffer.from("'")]));
}

export function noSuchUser(user: Buffer): ErrorReply {
  return error('unknown_command', Buffer.concat([Buffer.from("ERR No such user '"), cString(user), Buffer.from("'")]));
}

/** CLIENT SETINFO with an attribute other than LIB-NAME / LIB-VER. */
export function unrecognizedClientOption(option: Buffer): ErrorReply {
  return error('unknown_command', Buffer.concat([Buffer.from("ERR Unrecognized option '"), cString(option), Buffer.from("'")]));
}

/** CLIENT SETINFO value with a space, newline or other non-printable byte; `attribute` as the client wrote it. */
export function badClientAttribute(attribute: Buffer): ErrorReply {
  return error('unknown_command', Buffer.concat([Buffer.from('ERR '), cString(attribute), Buffer.from(' cannot contain spaces, newlines or special characters.')]));
}

/** CLIENT sub-commands a proxy cannot offer (server-assisted caching needs the node's own connection). */
export function clientSubcommandUnsupported(subcommand: string): ErrorReply {
  return error('unknown_command', `ERR CLIENT ${subcommand.toUpperCase()} is not supported by slotgate`);
}

/** `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try CLIENT HELP.`, `sub` as the client wrote it. */
export function clientSubcommandSyntax(subcommand: Buffer): ErrorReply {
  return error('wrong_arity', Buffer.concat([Buffer.from("ERR unknown subcommand or wrong number of arguments for '"), cString(subcommand), Buffer.from("'. Try CLIENT HELP.")]));
}

/** A key, channel or pattern in slotgate's own namespace (peers/bus-names.ts), refused for every account. */
export function reservedName(name: Buffer, prefix: string): ErrorReply {
  return error(
    'disabled',
    Buffer.concat([Buffer.from("ERR '"), cString(name), Buffer.from(`' is reserved: keys, channels and patterns starting with ${prefix} belong to slotgate and cannot be used through it`)]),
  );
}
