/**
 * Commands about the client connection itself, answered by slotgate: PING, ECHO, QUIT, SELECT,
 * HELLO, AUTH, READONLY/READWRITE/ASKING, RESET. CLIENT is handlers/client-commands.ts.
 */
import { parseRedisInteger } from '../commands/argument-bytes.js';
import { wrongArityError } from '../commands/lookup-errors.js';
import * as errors from '../errors/catalogue.js';
import { OK, PONG } from '../protocol/constants.js';
import { encodeArrayOfFrames, encodeBulk, encodeInteger, encodeSimple } from '../protocol/encoder.js';
import { mapReply, type RespVersion } from '../protocol/resp3-encoder.js';
import { validClientAttribute } from './client-commands.js';
import type { CommandCall, CommandHandler } from './command-call.js';
import type { HandlerServices } from './handler-services.js';
import { subscribedPing, unsubscribeAll } from './pubsub-commands.js';
import { trackingOff } from './tracking-commands.js';

const RESET = encodeSimple('RESET');

/**
 * What SELECT, SWAPDB, HELLO, AUTH and RESET use besides their call: the backend's kind and
 * databases, the accounts (`runtime`, replaced by a reload, so read per use), what HELLO reports,
 * what RESET lets go of, and where a failed sign-in is counted and logged.
 */
export type ConnectionServices = Pick<
  HandlerServices,
  'topology' | 'backendDatabases' | 'runtime' | 'redisVersion' | 'pubsub' | 'tracking' | 'metrics' | 'logLimiter'
>;

export interface ConnectionCommands {
  readonly select: CommandHandler;
  readonly swapdb: CommandHandler;
  readonly hello: CommandHandler;
  readonly auth: CommandHandler;
  readonly reset: CommandHandler;
}

export function connectionCommands(deps: ConnectionServices): ConnectionCommands {
  return {
    select: (call) => select(call, deps),
    swapdb: (call) => swapdb(call, deps),
    hello: (call) => hello(call, deps),
    auth: (call) => auth(call, deps),
    reset: (call) => reset(call, deps),
  };
}

export function ping(call: CommandCall): void {
  // The table's arity (-1) lets any count through; pingCommand itself takes at most one message.
  if (call.args.length > 2) return call.fail(errors.fromLookup(wrongArityError(call.spec.name)));
  if (call.connection.subscriptions.restricted) return call.reply(subscribedPing(call.args[1]));
  call.reply(call.args.length > 1 ? encodeBulk(call.args[1]!) : PONG);
}

export function echo(call: CommandCall): void {
  call.reply(encodeBulk(call.args[1]!));
}

export function quit(call: CommandCall): void {
  call.replyAndClose(OK);
}

function select(call: CommandCall, deps: ConnectionServices): void {
  // A Redis Cluster has only database 0.
  if (deps.topology.kind === 'cluster') {
    const text = call.args[1]!.toString('latin1');
    if (!/^-?\d+$/.test(text)) return call.fail(errors.NOT_AN_INTEGER);
    if (Number(text) !== 0) return call.fail(errors.SELECT_NOT_ALLOWED);
    return call.reply(OK);
  }
  // A standalone backend: the session's database, served by that database's backend connections.
  // Checked here as Redis checks it (a C int, below `databases`): the connections' SELECT must not fail.
  const db = parseRedisInteger(call.args[1]!);
  if (db === null) return call.fail(errors.NOT_AN_INTEGER);
  if (db < INT_MIN || db > INT_MAX) return call.fail(errors.NOT_AN_INT32);
  if (db < 0 || db >= deps.backendDatabases) return call.fail(errors.DB_INDEX_OUT_OF_RANGE);
  call.connection.db = db;
  call.reply(OK);
}

const INT_MAX = 2 ** 31 - 1;
const INT_MIN = -(2 ** 31);

/** SWAPDB: a standalone backend's own command, passed through; a cluster has one database. */
function swapdb(call: CommandCall, deps: ConnectionServices): void {
  if (deps.topology.kind === 'cluster') return call.fail(errors.notSupported('swapdb'));
  call.forward({ slot: null }, { access: 'write' });
}

/** READONLY, READWRITE, ASKING: read/write splitting and redirections are slotgate's business. */
export function replyOk(call: CommandCall): void {
  call.reply(OK);
}

function hello(call: CommandCall, deps: ConnectionServices): void {
  const { args, connection } = call;
  let version: RespVersion | null = null;
  if (args.length > 1) {
    const text = args[1]!.toString('latin1');
    if (!/^\d+$/.test(text)) return call.fail(errors.PROTOCOL_VERSION);
    // RESP2 or RESP3, checked before any AUTH in it (Redis's order); others: -NOPROTO, protocol unchanged.
    const asked = Number(text);
    if (asked !== 2 && asked !== 3) return call.fail(errors.NOPROTO);
    version = asked;
  }
  // Redis's order: parse every option, then sign in, then require a signed-in client, then SETNAME.
  let credentials: [Buffer, Buffer] | null = null;
  let clientName: string | null = null;
  for (let i = 2; i < args.length; i++) {
    const option = args[i]!.toString('latin1').toLowerCase();
    if (option === 'auth' && i + 2 < args.length) {
      credentials = [args[i + 1]!, args[i + 2]!];
      i += 2;
    } else if (option === 'setname' && i + 1 < args.length) {
      clientName = args[++i]!.toString('utf8');
      if (!validClientAttribute(clientName)) return call.fail(errors.BAD_CLIENT_NAME);
    } else {
      return call.fail(errors.helloOptionSyntax(args[i]!));
    }
  }
  if (credentials) {
    const account = deps.runtime.accounts.authenticateUser(...credentials);
    if (!account) return refuseCredentials(call, deps);
    connection.signIn(account);
  }
  if (!connection.account) return call.fail(errors.HELLO_NOAUTH);
  if (clientName !== null) connection.name = clientName || null;
  // Like Redis: the switch comes first, and the reply is in the new protocol (a map in RESP3).
  if (version === null || version === connection.protocol) return call.reply(helloReply(call, deps.redisVersion));
  const switchTo = version;
  call.afterEarlierReplies(() => {
    connection.setProtocol(switchTo);
    call.reply(helloReply(call, deps.redisVersion));
  });
}

function helloReply({ connection }: CommandCall, redisVersion: string): Buffer {
  const fields: [string, Buffer][] = [
    ['server', encodeBulk('redis')],
    ['version', encodeBulk(redisVersion)],
    ['proto', encodeInteger(connection.protocol)],
    ['id', encodeInteger(connection.id)],
    ['mode', encodeBulk('cluster')],
    ['role', encodeBulk('master')],
    ['modules', encodeArrayOfFrames([])],
  ];
  return mapReply(connection.protocol, fields.flatMap(([k, v]) => [encodeBulk(k), v]));
}

function auth(call: CommandCall, deps: ConnectionServices): void {
  const { args } = call;
  if (args.length > 3) return call.fail(errors.SYNTAX);
  // AUTH <secret> (default password, else name@password) or AUTH <name> <password>: see auth/accounts.ts.
  const accounts = deps.runtime.accounts;
  const account = args.length === 2 ? accounts.authenticateSecret(args[1]!) : accounts.authenticateUser(args[1]!, args[2]!);
  // A failed AUTH leaves the connection signed in as it was, like Redis.
  if (!account) return refuseCredentials(call, deps);
  call.connection.signIn(account);
  call.reply(OK);
}

function reset(call: CommandCall, deps: ConnectionServices): void {
  const connection = call.connection;
  connection.transaction = null;
  connection.dropWatch();
  unsubscribeAll(connection, deps.pubsub);
  trackingOff(connection, deps.tracking);
  connection.name = null;
  // Redis's RESET clears CLIENT REPLY OFF/SKIP, NO-EVICT and NO-TOUCH too (lib-name/lib-ver stay).
  connection.setReplyMode('on');
  connection.noEvict = false;
  connection.noTouch = false;
  connection.db = 0;
  // Like Redis, RESET signs the connection out: back to the default account if it needs no password.
  connection.signIn(deps.runtime.accounts.initialAccount);
  // Like Redis, RESET also goes back to RESP2 (behind the same barrier as HELLO 2).
  if (connection.protocol === 2) return call.reply(RESET);
  call.afterEarlierReplies(() => {
    connection.setProtocol(2);
    call.reply(RESET);
  });
}

/**
 * A failed AUTH or HELLO AUTH: counted and logged (rate-limited) with the client's address, so
 * password guessing shows; never with the user name or password given (either may be a secret).
 */
function refuseCredentials(call: CommandCall, deps: ConnectionServices): void {
  deps.metrics.authFailures.inc();
  deps.logLimiter.log('auth_failure', 'warn', { addr: call.connection.address, command: call.spec.name }, 'authentication failed: wrong password or unknown user');
  call.fail(errors.WRONGPASS);
}
