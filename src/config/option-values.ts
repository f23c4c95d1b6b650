/** Conversions of option values shared by the resolvers (config.ts, reloadable-options.ts). */
import { ConfigError } from './config-error.js';

/** "a,b" or a YAML list (whose items may hold commas too) → trimmed, non-empty items. */
export function toList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return items.flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter(Boolean);
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1_000_000, mb: 1024 ** 2, g: 1_000_000_000, gb: 1024 ** 3 };

/** Redis-style sizes: 512mb, 64kb, 1g, or plain bytes. */
export function toSize(name: string, value: unknown): number {
  const match = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(String(value));
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new ConfigError(`option ${name}: '${String(value)}' is not a size (e.g. 512mb, 64kb, 1048576)`);
  return Number(match[1]) * unit;
}

const COUNT = 'a whole number';

/** An integer option within [min, max]; `form` names what it counts in the error. */
export function toInt(name: string, value: unknown, min: number, max: number, form: string = COUNT): number {
  const n = typeof value === 'number' ? value : /^\s*-?\d+\s*$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`option ${name}: '${String(value)}' is not ${form} from ${min} to ${max}`);
  return n;
}
