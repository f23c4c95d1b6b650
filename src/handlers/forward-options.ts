import type { Access } from '../routing/router.js';
import type { ForwardOptions } from './command-call.js';

// One options object per kind of forward, made once: nothing allocated per request for them.
const PLAIN_READ: ForwardOptions = { access: 'read' };
const PLAIN_WRITE: ForwardOptions = { access: 'write' };
const PLAIN_OTHER: ForwardOptions = { access: 'other' };
const BLOCKING_READ: ForwardOptions = { access: 'read', blocking: true };
const BLOCKING_WRITE: ForwardOptions = { access: 'write', blocking: true };
const BLOCKING_OTHER: ForwardOptions = { access: 'other', blocking: true };

/**
 * The options object of a forward. Chosen by comparisons, not by `table[access]`: a property load
 * by a key that varies is a megamorphic keyed load, which showed on every request (issue #22).
 */
export function forwardOptions(access: Access, blocking: boolean): ForwardOptions {
  if (blocking) return access === 'read' ? BLOCKING_READ : access === 'write' ? BLOCKING_WRITE : BLOCKING_OTHER;
  return access === 'read' ? PLAIN_READ : access === 'write' ? PLAIN_WRITE : PLAIN_OTHER;
}
