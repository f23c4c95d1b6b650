// Commands that exist only in slotgate, not in Redis, described like the generated table so the
// lookup, arity check and routing treat them like any other command. They are not part of
// allCommands() (which mirrors Redis's COMMAND reply).
import type { GeneratedCommand } from './key-spec.js';

export const PROXY_ONLY_COMMANDS: readonly GeneratedCommand[] = [
  {
    // IMONITOR <node>: MONITOR of one backend node through the proxy (SPEC §4).
    name: 'imonitor', arity: 2,
    flags: ['admin', 'loading', 'noscript', 'stale'],
    firstKey: 0, lastKey: 0, keyStep: 0,
    aclCategories: ['@admin', '@dangerous', '@slow'],
    tips: [],
    keySpecs: [],
  },
];
