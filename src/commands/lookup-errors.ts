// The exact error texts Redis 7.0 replies when a command cannot be looked up or has the wrong
// number of arguments (src/server.c: commandCheckExistence, commandCheckArity). Built only on the
// error path, so they may allocate freely.
//
// Redis formats arguments with printf's "%.*s" on C strings, so it counts bytes, stops an argument
// at its first NUL byte, and caps the text; then it turns CR and LF into spaces so the error stays
// one protocol line. The texts are returned as bytes, so the client's bytes come back exactly as
// Redis sends them (not UTF-8, or cut in the middle of a multi-byte character, alike).

const ARGS_TEXT_LIMIT = 128;
const NAME_LIMIT = 128;
const QUOTE = 0x27;
const SPACE = 0x20;
const CR = 0x0d;
const LF = 0x0a;

/** The argument as C sees it: up to the first NUL byte, at most `limit` bytes. */
function cString(arg: Buffer, limit: number): Buffer {
  const nul = arg.indexOf(0);
  const end = Math.min(nul === -1 ? arg.length : nul, limit);
  return arg.subarray(0, end);
}

/** `bytes` must be a fresh buffer (it is changed in place). */
function toSingleLine(bytes: Buffer): Buffer {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === CR || bytes[i] === LF) bytes[i] = SPACE;
  }
  return bytes;
}

/**
 * `ERR unknown command 'foo', with args beginning with: 'a' 'b' ` — each argument quoted and
 * followed by a space, arguments added while the text is under 128 bytes, the last one cut so
 * the text stops at 128.
 */
export function unknownCommandError(args: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from("ERR unknown command '"), cString(args[0] ?? Buffer.alloc(0), NAME_LIMIT)];
  parts.push(Buffer.from("', with args beginning with: "));
  let argsLength = 0;
  for (let i = 1; i < args.length && argsLength < ARGS_TEXT_LIMIT; i++) {
    // sdscatprintf(args, "'%.*s' ", 128 - sdslen(args), arg): the precision only limits the argument.
    const shown = cString(args[i]!, ARGS_TEXT_LIMIT - argsLength);
    parts.push(Buffer.of(QUOTE), shown, Buffer.of(QUOTE, SPACE));
    argsLength += shown.length + 3;
  }
  return toSingleLine(Buffer.concat(parts));
}

/** `ERR unknown subcommand 'foo'. Try OBJECT HELP.` (the container name upper-cased). */
export function unknownSubcommandError(containerName: string, subcommand: Buffer): Buffer {
  const text = Buffer.concat([
    Buffer.from("ERR unknown subcommand '"),
    cString(subcommand, NAME_LIMIT),
    Buffer.from(`'. Try ${containerName.toUpperCase()} HELP.`),
  ]);
  return toSingleLine(text);
}

/** `ERR wrong number of arguments for 'object|encoding' command` (the full lower-case name). */
export function wrongArityError(fullName: string): Buffer {
  return Buffer.from(`ERR wrong number of arguments for '${fullName}' command`);
}
