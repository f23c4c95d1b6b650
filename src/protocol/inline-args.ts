/**
 * Splits one inline (telnet-style) command line into arguments exactly like Redis's
 * `sdssplitargs` (sds.c), which `processInlineBuffer` uses:
 * - arguments are separated by whitespace;
 * - "double quotes" understand \n \r \t \b \a, \xHH and \<any> (that character itself);
 * - 'single quotes' understand only \' ;
 * - a quote may open in the middle of an argument (a"b c" is `ab c`), but a closing quote must
 *   be followed by whitespace or the end of the line;
 * - an unterminated quote is an error.
 * sdssplitargs reads a C string, so a NUL byte ends the line here too. (The decoder never passes
 * one: Redis finds the newline with strchr, which stops at the NUL, so such a line is never
 * complete and the decoder reproduces that.)
 *
 * Returns null where Redis replies "unbalanced quotes in request".
 */

const NUL = 0x00;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
const BACKSLASH = 0x5c;
const LOWER_X = 0x78;

/** C isspace() in the "C" locale: space, \t, \n, \v, \f, \r. */
function isSpace(c: number): boolean {
  return c === SPACE || (c >= TAB && c <= CR);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

function unescapedByte(c: number): number {
  switch (c) {
    case 0x6e: return LF; // \n
    case 0x72: return CR; // \r
    case 0x74: return TAB; // \t
    case 0x62: return 0x08; // \b
    case 0x61: return 0x07; // \a
    default: return c;
  }
}

export function splitInlineArgs(line: Uint8Array, start: number, end: number): Buffer[] | null {
  const nul = line.subarray(start, end).indexOf(NUL); // only this line: the buffer may hold more
  if (nul !== -1) end = start + nul;
  // Reads past the end see NUL, as in the C original (this keeps its look-ahead rules intact).
  const at = (i: number): number => (i < end ? line[i]! : NUL);

  // Unescaping only shrinks, so one buffer the size of the line holds every argument.
  const out = Buffer.allocUnsafe(end - start);
  let written = 0;
  const args: Buffer[] = [];
  let p = start;

  for (;;) {
    while (p < end && isSpace(line[p]!)) p++;
    if (p >= end) return args;

    const argStart = written;
    let inDoubleQuotes = false;
    let inSingleQuotes = false;
    let done = false;
    while (!done) {
      const c = at(p);
      if (inDoubleQuotes) {
        if (c === BACKSLASH && at(p + 1) === LOWER_X && hexValue(at(p + 2)) >= 0 && hexValue(at(p + 3)) >= 0) {
          out[written++] = hexValue(at(p + 2)) * 16 + hexValue(at(p + 3));
          p += 3;
        } else if (c === BACKSLASH && at(p + 1) !== NUL) {
          p++;
          out[written++] = unescapedByte(at(p));
        } else if (c === DOUBLE_QUOTE) {
          if (at(p + 1) !== NUL && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === NUL) {
          return null;
        } else {
          out[written++] = c;
        }
      } else if (inSingleQuotes) {
        if (c === BACKSLASH && at(p + 1) === SINGLE_QUOTE) {
          p++;
          out[written++] = SINGLE_QUOTE;
        } else if (c === SINGLE_QUOTE) {
          if (at(p + 1) !== NUL && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === NUL) {
          return null;
        } else {
          out[written++] = c;
        }
      } else {
        switch (c) {
          case SPACE:
          case LF:
          case CR:
          case TAB:
          case NUL:
            done = true;
            break;
          case DOUBLE_QUOTE:
            inDoubleQuotes = true;
            break;
          case SINGLE_QUOTE:
            inSingleQuotes = true;
            break;
          default:
            out[written++] = c;
        }
      }
      if (p < end) p++;
    }
    args.push(out.subarray(argStart, written));
  }
}
