import { describe, expect, it } from 'vitest';
import { nodeHasReusePort } from '../../../src/process/reuse-port.js';

describe('nodeHasReusePort', () => {
  it('is true from Node 22.12 and 23.1 on, false before', () => {
    expect(nodeHasReusePort('20.20.2')).toBe(false);
    expect(nodeHasReusePort('22.11.0')).toBe(false);
    expect(nodeHasReusePort('22.12.0')).toBe(true);
    expect(nodeHasReusePort('23.0.0')).toBe(false);
    expect(nodeHasReusePort('23.1.0')).toBe(true);
    expect(nodeHasReusePort('24.21.0')).toBe(true);
  });
});
