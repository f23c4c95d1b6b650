/**
 * Commands the session answers itself, because they concern the client connection
 * (not data) or the proxy's own view: PING, ECHO, QUIT, SELECT, HELLO, AUTH,
 * READONLY/READWRITE/ASKING, RESET, CLIENT SETNAME/GETNAME/ID, and the transaction
 * commands MULTI/EXEC/DISCARD/WATCH/UNWATCH.
 */
import type { CommandSpec } from '../commands/command-table.js';
import { wrongArityError } from '../commands/lookup-errors.js';
import * as errors from '../errors/catalogue.js';
import { encodeArrayOfFrames, encodeBulk, encodeInteger, encodeSimple } from '../protocol/encoder.js';
import { NULL_BULK, OK, PONG } from '../protocol/constants.js';
import type { Request } from '../protocol/request-decoder.js';
import { routeCommand } from '../routing/router.js';
import type { ReplySlot } from './reply-queue.js';
import type { Session } from './session.js';
import { Transaction } from './transaction.js';

type Handler = (session: Session, slot: ReplySlot, spec: CommandSpec, req: Request) => void;

const RESET = encodeSimple('RESET');

const HANDLERS: Record<string, Handler> = {
  ping(session, slot, spec, { args }) {
    // The table's arity (-1) lets any count through; pingCommand itself takes at most one message.
    if (args.length > 2) return session.failRequest(slot, errors.fromLookup(wrongArityError(spec.name)), spec.name);
    session.reply(slot, args.length > 1 ? encodeBulk(args[1]!) : PONG, spec.name);
  },
  echo(session, slot, spec, { args }) {
    session.reply(slot, encodeBulk(args[1]!), spec.name);
  },
  quit(session, slot) {
    session.replyAndClose(slot, OK);
  },
  select(session, slot, spec, { args }) {
    const text = args[1]!.toString('latin1');
    if (!/^-?\d+$/.test(text)) return session.failRequest(slot, errors.NOT_AN_INTEGER, spec.name);
    // A Redis Cluster has only database 0.
    if (Number(text) !== 0) return session.failRequest(slot, errors.SELECT_NOT_ALLOWED, spec.name);
    session.reply(slot, OK, spec.name);
  },
  readonly: replyOk,
  readwrite: replyOk,
  asking: replyOk,
  hello(session, slot, spec, { args }) {
    if (args.length > 1) {
      const text = args[1]!.toString('latin1');
      if (!/^\d+$/.test(text)) return session.failRequest(slot, errors.PROTOCOL_VERSION, spec.name);
      // RESP2 only (SPEC §7): HELLO 3 is refused, before any AUTH in it, so the client stays on RESP2.
      if (Number(text) !== 2) return session.failRequest(slot, errors.NOPROTO, spec.name);
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
        if (!validClientName(clientName)) return session.failRequest(slot, errors.BAD_CLIENT_NAME, spec.name);
      } else {
        return session.failRequest(slot, errors.helloOptionSyntax(args[i]!), spec.name);
      }
    }
    if (credentials) {
      const account = session.ctx.runtime.accounts.authenticateUser(...credentials);
      if (!account) return refuseCredentials(session, slot, spec);
      session.signIn(account);
    }
    if (!session.account) return session.failRequest(slot, errors.HELLO_NOAUTH, spec.name);
    if (clientName !== null) session.name = clientName || null;
    const fields: [string, Buffer][] = [
      ['server', encodeBulk('redis')],
      ['version', encodeBulk(session.ctx.redisVersion)],
      ['proto', encodeInteger(2)],
      ['id', encodeInteger(session.id)],
      ['mode', encodeBulk('cluster')],
      ['role', encodeBulk('master')],
      ['modules', encodeArrayOfFrames([])],
    ];
    session.reply(slot, encodeArrayOfFrames(fields.flatMap(([k, v]) => [encodeBulk(k), v])), spec.name);
  },
  auth(session, slot, spec, { args }) {
    if (args.length > 3) return session.failRequest(slot, errors.SYNTAX, spec.name);
    // AUTH <secret> (default password, else name@password) or AUTH <name> <password>: see auth/accounts.ts.
    const accounts = session.ctx.runtime.accounts;
    const account = args.length === 2 ? accounts.authenticateSecret(args[1]!) : accounts.authenticateUser(args[1]!, args[2]!);
    // A failed AUTH leaves the connection signed in as it was, like Redis.
    if (!account) return refuseCredentials(session, slot, spec);
    session.signIn(account);
    session.reply(slot, OK, spec.name);
  },
  reset(session, slot, spec) {
    session.transaction = null;
    session.dropWatch();
    session.name = null;
    // Like Redis, RESET signs the connection out: back to the default account if it needs no password.
    session.signIn(session.ctx.runtime.accounts.initialAccount);
    session.reply(slot, RESET, spec.name);
  },
  client(session, slot, spec, { args }) {
    switch (spec.name) {
      case 'client|setname': {
        const name = args[2]!.toString('utf8');
        if (!validClientName(name)) return session.failRequest(slot, errors.BAD_CLIENT_NAME, spec.name);
        session.name = name || null;
        return session.reply(slot, OK, spec.name);
      }
      case 'client|getname':
        return session.reply(slot, session.name === null ? NULL_BULK : encodeBulk(session.name), spec.name);
      case 'client|id':
        return session.reply(slot, encodeInteger(session.id), spec.name);
      default:
        return session.failRequest(slot, errors.notSupported(spec.name.replace('|', ' ')), spec.name);
    }
  },
  multi(session, slot, spec) {
    if (session.transaction) return session.failRequest(slot, errors.MULTI_NESTED, spec.name);
    session.transaction = new Transaction();
    session.reply(slot, OK, spec.name);
  },
  exec(session, slot, spec) {
    const transaction = session.transaction;
    if (!transaction) return session.failRequest(slot, errors.EXEC_WITHOUT_MULTI, spec.name);
    session.transaction = null;
    transaction.exec(session, slot, spec);
  },
  discard(session, slot, spec) {
    if (!session.transaction) return session.failRequest(slot, errors.DISCARD_WITHOUT_MULTI, spec.name);
    session.transaction = null;
    session.dropWatch();
    session.reply(slot, OK, spec.name);
  },
  watch(session, slot, spec, req) {
    if (session.transaction) return session.failRequest(slot, errors.WATCH_INSIDE_MULTI, spec.name);
    const plan = routeCommand(spec, req.args);
    if (plan.kind === 'error') return session.failRequest(slot, plan.error, spec.name);
    if (plan.kind !== 'slot') return session.failRequest(slot, errors.SYNTAX, spec.name);
    if (session.watch && session.watch.slot !== plan.slot) return session.failRequest(slot, errors.CROSSSLOT, spec.name);
    if (!session.watch) {
      const master = session.ctx.topology.current.masterForSlot(plan.slot);
      if (!master) return session.failRequest(slot, errors.SLOT_NOT_SERVED, spec.name);
      // WATCH state lives on a connection: this session gets one of its own until EXEC/DISCARD/UNWATCH.
      session.watch = { slot: plan.slot, conn: session.dedicatedConnection(master.address) };
    }
    session.forwardOn(session.watch.conn, slot, spec, [req.raw], false, plan.slot, false);
  },
  unwatch(session, slot, spec) {
    session.dropWatch();
    session.reply(slot, OK, spec.name);
  },
};

/**
 * A failed AUTH or HELLO AUTH: counted and logged (rate-limited) with the client's address, so
 * password guessing shows; never with the user name or password given (either may be a secret).
 */
function refuseCredentials(session: Session, slot: ReplySlot, spec: CommandSpec): void {
  session.ctx.metrics.authFailures.inc();
  session.ctx.logLimiter.log('auth_failure', 'warn', { addr: session.address, command: spec.name }, 'authentication failed: wrong password or unknown user');
  session.failRequest(slot, errors.WRONGPASS, spec.name);
}

function replyOk(session: Session, slot: ReplySlot, spec: CommandSpec): void {
  session.reply(slot, OK, spec.name);
}

function validClientName(name: string): boolean {
  // Redis: printable ASCII without spaces (validateClientName / '!'..'~').
  return /^[!-~]*$/.test(name);
}

export function isLocalCommand(name: string): boolean {
  return Object.hasOwn(HANDLERS, name);
}

export function runLocalCommand(session: Session, slot: ReplySlot, spec: CommandSpec, req: Request): void {
  HANDLERS[(spec.parent ?? spec).name]!(session, slot, spec, req);
}
