// Which arguments slotgate takes for keys, as names: the shared vocabulary of the key-extraction
// tests (the unit ones and the ones comparing with Redis's COMMAND GETKEYS).
import { FALLBACK_COMMAND_TABLE, type CommandSpec } from '../../src/commands/command-table.js';
import { getKeyIndexes } from '../../src/commands/key-extraction.js';

/** `"GET k"` → ['GET', 'k']; `''` stands for an empty argument. */
export const words = (line: string): string[] => line.split(' ').map((word) => (word === "''" ? '' : word));
export const toBuffers = (args: readonly string[]): Buffer[] => args.map((arg) => Buffer.from(arg));

export function specFor(args: readonly Buffer[]): CommandSpec {
  const lookup = FALLBACK_COMMAND_TABLE.lookup(args);
  if (!lookup.ok) throw new Error(`lookup failed: ${lookup.error.toString()}`);
  return lookup.spec;
}

/** The key arguments of `args` by name, or the error Redis would give. */
export function keyNames(args: readonly string[]): string[] | { error: string } {
  const buffers = toBuffers(args);
  const result = getKeyIndexes(specFor(buffers), buffers);
  return Array.isArray(result) ? result.map((index) => args[index]!) : result;
}
