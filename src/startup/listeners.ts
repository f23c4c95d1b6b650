/**
 * The client listeners: the plain port and the TLS port (either may be off), how a refused TLS
 * handshake is counted, what an accept failure is (out of descriptors, mostly), and the ports
 * they ended up on (with `port 0`, known only once they listen).
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { SlotgateConfig } from '../config/config.js';
import { isDescriptorExhaustion, watchDescriptors } from '../observability/descriptor-watch.js';
import type { LogLimiter } from '../observability/log-limiter.js';
import type { Metrics } from '../observability/metrics.js';
import { clientListenerCredentials, clientListenerOptions } from '../tls/tls-contexts.js';

export interface Listeners {
  /** The ports listened on; 0 for a listener that is off. */
  readonly port: number;
  readonly tlsPort: number;
  /** Reads the TLS listener's certificate files for `next` (a reload); the returned function applies them. */
  prepareCredentials(next: SlotgateConfig): () => void;
  /** Stops accepting; open connections stay. */
  stopAccepting(): void;
  /** Stops accepting and resolves once the listeners are closed. */
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Bind these ports with SO_REUSEPORT (a worker the kernel balances: process/reuse-port.ts). */
  readonly reusePorts?: { port: number; tlsPort: number } | null;
}

export async function openListeners(config: SlotgateConfig, accept: (socket: net.Socket) => void, metrics: Metrics, logLimiter: LogLimiter, clientCount: () => number, options: ListenOptions = {}): Promise<Listeners> {
  // With a TLS listener, port 0 turns the plain one off (as in Redis); without one, port 0 is
  // "any free port" (tests, run-local). pauseOnConnect: nothing is read before the session says how.
  const plainServer = config.tls && config.port === 0 ? null : net.createServer({ pauseOnConnect: true }, accept);
  const tlsHandshakeFailed = (socket: net.Socket, reason: string | undefined): void => {
    metrics.tlsHandshakeFailures.inc();
    logLimiter.log('tls_handshake', 'warn', { addr: `${socket.remoteAddress}:${socket.remotePort}`, reason }, 'client TLS handshake failed');
  };
  const tlsServer = config.tls
    ? tls.createServer(clientListenerOptions(config.tls, clientListenerCredentials(config.tls)), (socket: tls.TLSSocket) => {
        // tls-auth-clients optional, as in Redis: no certificate is fine, but one that is sent must be
        // valid (Node would let an untrusted one through with rejectUnauthorized off).
        if (!socket.authorized && Object.keys(socket.getPeerCertificate()).length > 0) {
          tlsHandshakeFailed(socket, String(socket.authorizationError));
          socket.destroy();
          return;
        }
        accept(socket);
      })
    : null;
  tlsServer?.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => tlsHandshakeFailed(socket, err.code ?? err.message));
  const servers = [plainServer, tlsServer].filter((s): s is net.Server => s !== null);
  const reuse = options.reusePorts ?? null;
  try {
    if (plainServer) await listen(plainServer, reuse ? reuse.port : config.port, config.bind, reuse !== null);
    if (tlsServer) await listen(tlsServer, reuse ? reuse.tlsPort : config.tls!.port, config.bind, reuse !== null);
  } catch (err) {
    for (const s of servers) s.close();
    throw err;
  }
  const stopDescriptorWatch = watchAcceptFailures(servers, metrics, logLimiter, clientCount);
  const stopAccepting = (): void => {
    for (const server of servers) server.close();
  };
  return {
    port: plainServer ? (plainServer.address() as AddressInfo).port : 0,
    tlsPort: tlsServer ? (tlsServer.address() as AddressInfo).port : 0,
    prepareCredentials: (next) => {
      const credentials = tlsServer && next.tls ? clientListenerCredentials(next.tls) : null;
      return () => {
        if (credentials) tlsServer!.setSecureContext(clientListenerOptions(config.tls!, credentials));
      };
    },
    stopAccepting,
    close: async () => {
      stopDescriptorWatch();
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}

/**
 * Out of descriptors, accept() fails and libuv closes the waiting connections, mostly without a
 * word to Node: the watch notices, and an 'error' the server does get (a failed accept; it keeps
 * listening) is logged rather than left to crash the process. Returns the watch's stop.
 */
function watchAcceptFailures(servers: net.Server[], metrics: Metrics, logLimiter: LogLimiter, clientCount: () => number): () => void {
  const acceptDropping = (code: string | undefined): void => {
    metrics.descriptorExhaustion.labels('accept').inc();
    logLimiter.log('accept_descriptors', 'error', { code, clients: clientCount() }, 'out of file descriptors: new client connections are being dropped (raise the open files limit, ulimit -n)');
  };
  for (const server of servers) {
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (isDescriptorExhaustion(err)) acceptDropping(err.code);
      else logLimiter.log('accept_error', 'error', { code: err.code, err: err.message }, 'accepting a client connection failed');
    });
  }
  return watchDescriptors(acceptDropping);
}

function listen(server: net.Server, port: number, host: string, reusePort: boolean): Promise<void> {
  // `reusePort` is in Node 22.12+/23.1+ only (and not in @types/node 20); `exclusive` keeps
  // node:cluster from routing the listen through the primary.
  const options = reusePort ? ({ port, host, exclusive: true, reusePort: true } as net.ListenOptions) : { port, host };
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
