import type { Access } from '../routing/router.js';
import type { ForwardOptions } from './command-call.js';

// One options object per kind of forward, made once: nothing allocated per request for them.
const PLAIN: Record<Access, ForwardOptions> = { read: { access: 'read' }, write: { access: 'write' }, other: { access: 'other' } };
const BLOCKING: Record<Access, ForwardOptions> = {
  read: { access: 'read', blocking: true },
  write: { access: 'write', blocking: true },
  other: { access: 'other', blocking: true },
};

export function forwardOptions(access: Access, blocking: boolean): ForwardOptions {
  return blocking ? BLOCKING[access] : PLAIN[access];
}
