/**
 * What every client session needs from the running proxy, passed in one object so a
 * session can be built in tests and in the server alike. Handlers see less of it
 * (HandlerServices): no pool, no command table, no client id allocator.
 */
import type { NodePool } from '../backend/node-pool.js';
import type { CommandCatalog } from '../commands/command-table.js';
import type { HandlerServices } from './handler-services.js';
import type { CommandRegistry } from './registry.js';

export interface ProxyContext extends HandlerServices {
  /** Commands → handlers, built over this context's services (handlers/registry.ts: withCommandRegistry). */
  readonly handlers: CommandRegistry;
  readonly pool: NodePool;
  /** This instance's command table (the backend's COMMAND reply once read): requests are looked up in it. */
  readonly commands: CommandCatalog;
  nextClientId(): number;
  /** This instance's name in CLIENT LIST `proxy=` (`<announce host:port>/<instance>`); final once listening. */
  proxyId: string;
}
