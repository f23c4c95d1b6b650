/**
 * Hides the secrets inside a command before it is shown anywhere (MONITOR output, logs),
 * the way Redis 7 redacts them: each secret argument becomes `(redacted)`.
 *
 *   AUTH <password> / AUTH <user> <password>        every argument after AUTH
 *   HELLO <ver> [AUTH <user> <password>] [SETNAME n] the two arguments after AUTH
 *   MIGRATE … [AUTH <password> | AUTH2 <user> <pw>]  the one / two arguments after it
 *   ACL SETUSER <user> <rule> …                      every argument after SETUSER, the
 *                                                    user name too (as Redis 7.0 does)
 *   CONFIG SET <name> <value> …                      the value of each sensitive parameter
 *                                                    (commands/config-parameters.ts)
 *
 * These are Redis's redactClientCommandArgument call sites; checked against a real Redis,
 * whose SLOWLOG shows the same redactions (test/unit/auth/redact.test.ts). The only addition:
 * the TLS key passphrases, which Redis 7.0 leaves in clear.
 *
 * Options are walked as the commands parse them, so a client name or password that happens
 * to read "auth" cannot shift what is hidden.
 */
import { asciiEqualsIgnoreCase } from '../commands/argument-bytes.js';
import { isSensitiveConfigParameter } from '../commands/config-parameters.js';

export const REDACTED = Buffer.from('(redacted)');

/** An option word: how many arguments follow it, and whether they are secrets. */
type OptionRule = readonly [word: string, operands: number, secret: boolean];

const HELLO_OPTIONS: readonly OptionRule[] = [['auth', 2, true], ['setname', 1, false]];
const MIGRATE_OPTIONS: readonly OptionRule[] = [['copy', 0, false], ['replace', 0, false], ['auth', 1, true], ['auth2', 2, true]];

/** `args` with its secrets replaced; the same array when there is nothing to hide. */
export function redactSecrets(args: readonly Buffer[]): readonly Buffer[] {
  const name = args[0];
  if (name === undefined) return args;
  if (asciiEqualsIgnoreCase(name, 'auth')) return args.map((arg, i) => (i === 0 ? arg : REDACTED));
  if (asciiEqualsIgnoreCase(name, 'hello')) return redactOptions(args, 2, HELLO_OPTIONS);
  if (asciiEqualsIgnoreCase(name, 'migrate')) return redactOptions(args, 6, MIGRATE_OPTIONS);
  const sub = args[1];
  if (sub === undefined) return args;
  if (asciiEqualsIgnoreCase(name, 'acl') && asciiEqualsIgnoreCase(sub, 'setuser')) return args.map((arg, i) => (i < 2 ? arg : REDACTED));
  if (asciiEqualsIgnoreCase(name, 'config') && asciiEqualsIgnoreCase(sub, 'set')) return redactConfigValues(args);
  return args;
}

/** CONFIG SET name value [name value …]: each sensitive parameter's value. */
function redactConfigValues(args: readonly Buffer[]): readonly Buffer[] {
  let copy: Buffer[] | null = null;
  for (let i = 2; i + 1 < args.length; i += 2) {
    if (!isSensitiveConfigParameter(args[i]!)) continue;
    copy ??= [...args];
    copy[i + 1] = REDACTED;
  }
  return copy ?? args;
}

/** Walks the options from index `from`; stops at the first word that is not one (e.g. KEYS). */
function redactOptions(args: readonly Buffer[], from: number, rules: readonly OptionRule[]): readonly Buffer[] {
  let copy: Buffer[] | null = null;
  let i = from;
  while (i < args.length) {
    const rule = rules.find(([word]) => asciiEqualsIgnoreCase(args[i]!, word));
    if (!rule) break;
    const [, operands, secret] = rule;
    if (secret) {
      copy ??= [...args];
      for (let j = i + 1; j <= i + operands && j < args.length; j++) copy[j] = REDACTED;
    }
    i += 1 + operands;
  }
  return copy ?? args;
}
