/**
 * One MONITOR feed line, exactly as Redis 7 writes it (replicationFeedMonitors):
 *   +1339518083.107412 [0 127.0.0.1:60866] "set" "key" "x\n\x01"
 * Arguments are quoted and escaped like sdscatrepr, and secrets are replaced by "(redacted)"
 * where Redis redacts them (auth/redact.ts), so a password never reaches a monitor (README: *Cross-slot commands, node targeting and the cluster view*,
 * *MONITOR*). Pure.
 */
import { redactSecrets } from '../auth/redact.js';

/** sdscatrepr: printable ASCII as is, `\\` and `"` escaped, \n \r \t \a \b by name, the rest as \xHH. */
function quoted(arg: Buffer): string {
  let out = '"';
  for (const byte of arg) {
    switch (byte) {
      case 0x5c: out += '\\\\'; break;
      case 0x22: out += '\\"'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x07: out += '\\a'; break;
      case 0x08: out += '\\b'; break;
      default:
        out += byte >= 0x20 && byte <= 0x7e ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
    }
  }
  return `${out}"`;
}

/** `+<seconds>.<micro> [0 <client>] "arg" …\r\n` for a command `client` sent at `epochMicros`. */
export function monitorLine(epochMicros: number, client: string, args: readonly Buffer[]): Buffer {
  const seconds = Math.floor(epochMicros / 1e6);
  const micros = String(Math.floor(epochMicros % 1e6)).padStart(6, '0');
  const quotedArgs = redactSecrets(args).map(quoted).join(' ');
  return Buffer.from(`+${seconds}.${micros} [0 ${client}] ${quotedArgs}\r\n`, 'latin1');
}
