/** Conversions of option values shared by the resolvers (config.ts, reloadable-options.ts). */

/** "a,b" or a YAML list (whose items may hold commas too) → trimmed, non-empty items. */
export function toList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return items.flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter(Boolean);
}
