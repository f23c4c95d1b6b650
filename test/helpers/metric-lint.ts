// The checks of `promtool check metrics` (Prometheus 2.42) that concern names and types, on the
// text exposition format, so tests hold /metrics to them without promtool installed: a counter's
// name ends in _total, no other type's does, every family has one TYPE and one HELP line.
export function metricLintProblems(text: string): string[] {
  const problems: string[] = [];
  const types = new Map<string, string>();
  const helps = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    const help = /^# HELP (\S+) /.exec(line);
    if (help) {
      if (helps.has(help[1]!)) problems.push(`${help[1]}: HELP given twice`);
      helps.add(help[1]!);
    }
    if (!type) continue;
    const [, name, kind] = type as unknown as [string, string, string];
    if (types.has(name)) problems.push(`${name}: TYPE given twice`);
    types.set(name, kind);
    if (kind === 'counter' && !name.endsWith('_total')) problems.push(`${name}: counter metrics should have "_total" suffix`);
    if (kind !== 'counter' && name.endsWith('_total')) problems.push(`${name}: non-counter metrics should not have "_total" suffix`);
  }
  for (const name of types.keys()) if (!helps.has(name)) problems.push(`${name}: no help text`);
  return problems;
}
