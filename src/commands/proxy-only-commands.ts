// Commands that exist only in slotgate, not in Redis, or only in Redis newer than the generated table,
// described like the generated table so the lookup, arity check and routing treat them like any other
// command. They are not part of CommandTable.commands() (which mirrors Redis's COMMAND reply).
import type { GeneratedCommand } from './key-spec.js';

export const PROXY_ONLY_COMMANDS: readonly GeneratedCommand[] = [
  {
    // IMONITOR <node>: MONITOR of one backend node through the proxy (README: *Cross-slot commands, node targeting and the cluster view*).
    name: 'imonitor', arity: 2,
    flags: ['admin', 'loading', 'noscript', 'stale'],
    firstKey: 0, lastKey: 0, keyStep: 0,
    aclCategories: ['@admin', '@dangerous', '@slow'],
    tips: [],
    keySpecs: [],
  },
  {
    // WAITAOF (Redis 7.2+), which slotgate refuses (handlers/registry.ts): known in front of 7.0
    // too, so its refusal and arity error do not change with the nodes' version. A backend whose
    // COMMAND reply has it keeps its own spec. As in Redis 7.2.
    name: 'waitaof', arity: 4,
    flags: ['noscript'],
    firstKey: 0, lastKey: 0, keyStep: 0,
    aclCategories: ['@connection', '@slow'],
    tips: ['request_policy:all_shards', 'response_policy:agg_min'],
    keySpecs: [],
  },
];

/**
 * Sub-commands newer than the Redis version the table was generated from (7.0), which clients
 * send on connect (redis-py >= 5, Jedis 5 and node-redis send CLIENT SETINFO; 7.2's CLIENT
 * NO-TOUCH): slotgate answers them itself, so they are looked up like the table's own. As in
 * Redis 7.2. They are not part of CommandTable.commands() either.
 */
export const PROXY_ONLY_SUBCOMMANDS: readonly GeneratedCommand[] = [
  {
    name: 'client|setinfo', arity: 4,
    flags: ['loading', 'noscript', 'stale'],
    firstKey: 0, lastKey: 0, keyStep: 0,
    aclCategories: ['@connection', '@slow'],
    tips: [],
    keySpecs: [],
  },
  {
    // CLIENT MAINT_NOTIFICATIONS (Redis Enterprise's maintenance notifications), which node-redis 5/6,
    // go-redis and redis-py send on every RESP3 connect. Known here only so that slotgate can answer
    // it as Redis 7 and 8 do (unknown subcommand, handlers/client-commands.ts) without counting a
    // proxy error for every client that connects.
    name: 'client|maint_notifications', arity: -2,
    flags: ['loading', 'noscript', 'stale'],
    firstKey: 0, lastKey: 0, keyStep: 0,
    aclCategories: ['@connection', '@slow'],
    tips: [],
    keySpecs: [],
  },
  {
    name: 'client|no-touch', arity: 3,
    flags: ['loading', 'noscript', 'stale'],
    firstKey: 0, lastKey: 0, keyStep: 0,
    aclCategories: ['@connection', '@slow'],
    tips: [],
    keySpecs: [],
  },
];
