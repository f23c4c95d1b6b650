// slotgate's own I/O paths (io/) reach into Node internals. On the Node versions slotgate supports
// (20, 22, 24 — the image runs 24) both must be active: a fallback is silent and costs about half
// the proxy's user CPU per request (README, Performance notes), so a Node upgrade that breaks one
// must fail here, not in production.
import { describe, expect, it } from 'vitest';
import { sharedBufferReads } from '../../../src/io/socket-reader.js';
import { directWrites } from '../../../src/io/socket-writer.js';
import { Metrics } from '../../../src/observability/metrics.js';

const major = Number(process.versions.node.split('.')[0]);

describe('I/O fast paths', () => {
  it(`are both active on Node ${process.versions.node}`, () => {
    expect([20, 22, 24]).toContain(major);
    expect(sharedBufferReads).toBe(true);
    expect(directWrites).toBe(true);
  });

  it('are exported as slotgate_io_fast_path{path}', async () => {
    const metrics = new Metrics(false);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^slotgate_io_fast_path\{path="shared_buffer_reads"\} 1$/m);
    expect(text).toMatch(/^slotgate_io_fast_path\{path="direct_writes"\} 1$/m);
  });
});
