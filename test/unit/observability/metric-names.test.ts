import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../src/observability/metrics.js';
import { metricLintProblems } from '../../helpers/metric-lint.js';

describe('/metrics names', () => {
  it('pass promtool check metrics: no gauge ends in _total (prom-client\'s nodejs_active_*_total are left out)', async () => {
    const text = await new Metrics().registry.metrics();
    expect(metricLintProblems(text)).toEqual([]);
    // Node's figures are still there, by type.
    expect(text).toMatch(/^# TYPE nodejs_active_handles gauge$/m);
    expect(text).not.toMatch(/nodejs_active_handles_total/);
  });

  it('the lint finds what promtool finds', () => {
    const text = '# HELP a_total x\n# TYPE a_total gauge\na_total 1\n# HELP b x\n# TYPE b counter\nb 1\n# TYPE c gauge\nc 1\n';
    expect(metricLintProblems(text)).toEqual([
      'a_total: non-counter metrics should not have "_total" suffix',
      'b: counter metrics should have "_total" suffix',
      'c: no help text',
    ]);
  });
});
