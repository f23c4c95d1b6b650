/**
 * The CLIENT container, answered by slotgate and never forwarded (README: *Sessions: CLIENT commands and the session list*), except PAUSE and
 * UNPAUSE which every master must get:
 *
 *  - about the caller's own connection: ID, GETNAME, SETNAME, SETINFO (lib-name/lib-ver), INFO,
 *    REPLY ON|OFF|SKIP, NO-EVICT, NO-TOUCH;
 *  - about every session of every slotgate in front of the cluster (peers/client-directory.ts):
 *    LIST, KILL; UNBLOCK for a client blocked through this slotgate;
 *  - PAUSE / UNPAUSE: out of band to every master (a paused master holds the shared connections'
 *    writes, so UNPAUSE queued behind one of them would never arrive).
 *
 * NO-EVICT and NO-TOUCH are accepted and shown in the flags (e, T) but not sent to the nodes:
 * they are per-connection settings, and the backend connections are shared by every client, so
 * sending them would change eviction and LRU/LFU for everyone. A proxy's own memory is not
 * subject to client eviction, so NO-EVICT loses nothing; NO-TOUCH clients still touch keys.
 * CACHING, GETREDIR, TRACKING and TRACKINGINFO: handlers/tracking-commands.ts.
 */
import { asciiEqualsIgnoreCase, parseRedisInteger } from '../commands/argument-bytes.js';
import { unknownSubcommandError } from '../commands/lookup-errors.js';
import * as errors from '../errors/catalogue.js';
import type { ClientFilter, ClientType } from '../peers/client-record.js';
import { formatClientLine, formatClientList } from '../peers/client-record.js';
import { OK } from '../protocol/constants.js';
import { encodeArrayOfFrames, encodeBulk, encodeError, encodeInteger, encodeSimple } from '../protocol/encoder.js';
import { nullReply, textReply } from '../protocol/resp3-encoder.js';
import type { ClientDirectory } from '../peers/client-directory.js';
import type { CommandCall, CommandHandler, ReplyMode } from './command-call.js';
import { runOnEveryNode } from './fanout.js';
import type { HandlerServices } from './handler-services.js';

/**
 * What CLIENT uses besides its call: the session directory of every slotgate in front of the
 * cluster (LIST, KILL, UNBLOCK), the accounts (KILL USER; `runtime`, replaced by a reload, so read
 * per use), and the masters (PAUSE, UNPAUSE).
 */
export type ClientServices = Pick<HandlerServices, 'clients' | 'runtime' | 'topology'>;

export function clientCommand(deps: ClientServices): CommandHandler {
  return (call) => runClient(call, deps);
}

function runClient(call: CommandCall, deps: ClientServices): void {
  const clients = deps.clients;
  switch (call.spec.name) {
    case 'client|id':
      return call.reply(encodeInteger(call.connection.id));
    case 'client|getname':
      return call.reply(call.connection.name === null ? nullReply(call.connection.protocol) : encodeBulk(call.connection.name));
    case 'client|setname':
      return setName(call);
    case 'client|setinfo':
      return setInfo(call);
    case 'client|info':
      // A verbatim string in RESP3, as Redis answers CLIENT INFO and CLIENT LIST.
      return call.reply(textReply(call.connection.protocol, `${formatClientLine(call.connection.clientRecord())}\n`));
    case 'client|reply':
      return reply(call);
    case 'client|no-evict':
      return onOff(call, (on) => (call.connection.noEvict = on));
    case 'client|no-touch':
      return onOff(call, (on) => (call.connection.noTouch = on));
    case 'client|list':
      return list(call, clients);
    case 'client|kill':
      return kill(call, clients, deps);
    case 'client|unblock':
      return unblock(call, clients);
    case 'client|pause':
    case 'client|unpause':
      return runOnEveryNode(call, { targets: 'masters', reduce: 'same-reply', outOfBand: true }, deps);
    case 'client|help':
      return call.reply(HELP);
    case 'client|maint_notifications':
      // What Redis (7.x, 8.x) answers, since none of them has it: the client's handshake expects
      // this error and carries on. An answer, not a refusal: no proxy error is counted.
      return call.reply(encodeError(unknownSubcommandError('client', call.args[1]!)), 'error');
    default:
      return call.fail(errors.clientSubcommandUnsupported(call.spec.name.slice('client|'.length)));
  }
}

/** Redis: printable ASCII without spaces ('!'..'~'), for names and SETINFO values alike. */
export function validClientAttribute(value: string): boolean {
  return /^[!-~]*$/.test(value);
}

function setName(call: CommandCall): void {
  const name = call.args[2]!.toString('utf8');
  if (!validClientAttribute(name)) return call.fail(errors.BAD_CLIENT_NAME);
  call.connection.name = name || null;
  call.reply(OK);
}

/** CLIENT SETINFO LIB-NAME|LIB-VER <value> (Redis 7.2): kept for CLIENT LIST; '' clears it. */
function setInfo(call: CommandCall): void {
  const attribute = call.args[2]!;
  const isName = asciiEqualsIgnoreCase(attribute, 'lib-name');
  if (!isName && !asciiEqualsIgnoreCase(attribute, 'lib-ver')) return call.fail(errors.unrecognizedClientOption(attribute));
  const value = call.args[3]!.toString('latin1');
  if (!validClientAttribute(value)) return call.fail(errors.badClientAttribute(attribute));
  if (isName) call.connection.libName = value;
  else call.connection.libVer = value;
  call.reply(OK);
}

function reply(call: CommandCall): void {
  const arg = call.args[2]!;
  const mode: ReplyMode | null = asciiEqualsIgnoreCase(arg, 'on') ? 'on' : asciiEqualsIgnoreCase(arg, 'off') ? 'off' : asciiEqualsIgnoreCase(arg, 'skip') ? 'skip' : null;
  if (mode === null) return call.fail(errors.SYNTAX);
  call.connection.setReplyMode(mode);
  // OFF and SKIP are answered too (every call is), but their reply slot is silent: nothing is written.
  call.reply(OK);
}

function onOff(call: CommandCall, set: (on: boolean) => void): void {
  const arg = call.args[2]!;
  if (asciiEqualsIgnoreCase(arg, 'on')) set(true);
  else if (asciiEqualsIgnoreCase(arg, 'off')) set(false);
  else return call.fail(errors.SYNTAX);
  call.reply(OK);
}

function clientType(arg: Buffer): ClientType | null {
  if (asciiEqualsIgnoreCase(arg, 'normal')) return 'normal';
  if (asciiEqualsIgnoreCase(arg, 'pubsub')) return 'pubsub';
  if (asciiEqualsIgnoreCase(arg, 'master')) return 'master';
  if (asciiEqualsIgnoreCase(arg, 'replica') || asciiEqualsIgnoreCase(arg, 'slave')) return 'replica';
  return null;
}

/** CLIENT LIST [TYPE type | ID id …], parsed as Redis 7.0 does (TYPE and ID do not combine). */
function list(call: CommandCall, clients: ClientDirectory): void {
  const args = call.args;
  let filter: ClientFilter = {};
  if (args.length === 4 && asciiEqualsIgnoreCase(args[2]!, 'type')) {
    const type = clientType(args[3]!);
    if (type === null) return call.fail(errors.unknownClientType(args[3]!));
    filter = { type };
  } else if (args.length > 3 && asciiEqualsIgnoreCase(args[2]!, 'id')) {
    const ids: number[] = [];
    for (const arg of args.slice(3)) {
      const id = parseRedisInteger(arg);
      if (id === null) return call.fail(errors.INVALID_CLIENT_ID);
      ids.push(id);
    }
    filter = { ids };
  } else if (args.length !== 2) {
    return call.fail(errors.SYNTAX);
  }
  clients.list(filter).then(
    call.guard((records) => call.reply(textReply(call.connection.protocol, formatClientList(records)))),
    call.guard((err: unknown) => {
      throw err;
    }),
  );
}

/**
 * CLIENT KILL <ip:port> (old form: +OK, or "No such client"; may kill the caller itself) or
 * CLIENT KILL <filter> <value> … (the number killed; SKIPME yes by default). Either reaches the
 * sessions of every slotgate instance. The caller, when it matches, is closed after its reply.
 */
function kill(call: CommandCall, clients: ClientDirectory, deps: Pick<HandlerServices, 'runtime'>): void {
  const args = call.args;
  const self = call.connection.id;
  const oldForm = args.length === 3;
  let filter: ClientFilter;
  if (oldForm) {
    filter = { addr: args[2]!.toString('latin1') };
  } else {
    const parsed = parseKillFilter(call, args, deps);
    if (parsed === null) return;
    filter = parsed;
  }
  clients.kill(filter, self).then(
    call.guard(({ killed, spared }) => {
      if (oldForm && killed === 0) return call.fail(errors.NO_SUCH_CLIENT);
      const frame = oldForm ? OK : encodeInteger(killed);
      if (spared) return call.replyAndClose(frame);
      call.reply(frame);
    }),
    call.guard((err: unknown) => {
      throw err;
    }),
  );
}

/** The filter form's options, in Redis's order of checks; null once an error was answered. */
function parseKillFilter(call: CommandCall, args: readonly Buffer[], deps: Pick<HandlerServices, 'runtime'>): ClientFilter | null {
  const filter: { -readonly [K in keyof ClientFilter]: ClientFilter[K] } = {};
  let skipMe = true;
  for (let i = 2; i < args.length; i += 2) {
    const option = args[i]!;
    const value = args[i + 1];
    if (value === undefined) {
      call.fail(errors.SYNTAX);
      return null;
    }
    if (asciiEqualsIgnoreCase(option, 'id')) {
      const id = parseRedisInteger(value);
      if (id === null || id < 1) {
        call.fail(errors.CLIENT_ID_NOT_POSITIVE);
        return null;
      }
      filter.ids = [id];
    } else if (asciiEqualsIgnoreCase(option, 'type')) {
      const type = clientType(value);
      if (type === null) {
        call.fail(errors.unknownClientType(value));
        return null;
      }
      filter.type = type;
    } else if (asciiEqualsIgnoreCase(option, 'addr')) {
      filter.addr = value.toString('latin1');
    } else if (asciiEqualsIgnoreCase(option, 'laddr')) {
      filter.laddr = value.toString('latin1');
    } else if (asciiEqualsIgnoreCase(option, 'user')) {
      const user = value.toString('utf8');
      if (!deps.runtime.accounts.hasAccount(user)) {
        call.fail(errors.noSuchUser(value));
        return null;
      }
      filter.user = user;
    } else if (asciiEqualsIgnoreCase(option, 'skipme')) {
      if (asciiEqualsIgnoreCase(value, 'yes')) skipMe = true;
      else if (asciiEqualsIgnoreCase(value, 'no')) skipMe = false;
      else {
        call.fail(errors.SYNTAX);
        return null;
      }
    } else if (asciiEqualsIgnoreCase(option, 'maxage')) {
      // Redis 7.4: connections older than this many seconds.
      const maxAge = parseRedisInteger(value);
      if (maxAge === null) {
        call.fail(errors.NOT_AN_INTEGER);
        return null;
      }
      filter.maxAge = maxAge;
    } else {
      call.fail(errors.SYNTAX);
      return null;
    }
  }
  if (skipMe) filter.skipId = call.connection.id;
  return filter;
}

/** CLIENT UNBLOCK <id> [TIMEOUT|ERROR]: 1 when that client was blocked through this slotgate and got unblocked. */
function unblock(call: CommandCall, clients: ClientDirectory): void {
  const args = call.args;
  if (args.length > 4) return call.fail(errors.clientSubcommandSyntax(args[1]!));
  const id = parseRedisInteger(args[2]!);
  if (id === null) return call.fail(errors.NOT_AN_INTEGER);
  let reason: 'timeout' | 'error' = 'timeout';
  if (args.length === 4) {
    if (asciiEqualsIgnoreCase(args[3]!, 'timeout')) reason = 'timeout';
    else if (asciiEqualsIgnoreCase(args[3]!, 'error')) reason = 'error';
    else return call.fail(errors.UNBLOCK_REASON);
  }
  clients.local.unblock(id, reason).then(
    call.guard((unblocked) => call.reply(encodeInteger(unblocked ? 1 : 0))),
    call.guard(() => call.reply(encodeInteger(0))),
  );
}

const HELP_LINES = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETNAME',
  '    Return the name of the current connection.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>, on any slotgate in front of the cluster.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections (on every slotgate in front of the cluster). Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  '    * ID <client-id>',
  '      Kill connections by client id.',
  '    * MAXAGE <maxage>',
  '      Kill connections older than the specified age.',
  'LIST [options ...]',
  '    Return information about client connections of every slotgate in front of the cluster. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  '    * ID <client-id> [<client-id> ...]',
  '      Return clients with the given ids.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic (on every master).',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds (on every master).',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'SETINFO <option> <value>',
  '    Set client meta attr. Options are:',
  '    * LIB-NAME: the client lib name.',
  '    * LIB-VER: the client lib version.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix>] [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching (invalidations from every master).',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'NO-TOUCH (ON|OFF)',
  "    Will not touch LRU/LFU stats when this mode is on (accepted; not applied by slotgate's shared backend connections).",
  'HELP',
  '    Prints this help.',
];
const HELP = encodeArrayOfFrames(HELP_LINES.map((line) => encodeSimple(line)));
