/**
 * Workers the kernel balances. Node 22.12 and 23.1 added `reusePort` to `server.listen()`: with it
 * (and `exclusive`, so node:cluster does not route the listen through the primary) every worker
 * binds the client port itself with SO_REUSEPORT, and the kernel spreads new connections over the
 * workers' sockets. Older Nodes (20) keep node:cluster's round-robin, where the primary accepts
 * every connection and passes it to a worker over IPC.
 */
import net from 'node:net';

/** Whether `version` (process.versions.node) has the `reusePort` listen option. */
export function nodeHasReusePort(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

export const kernelBalancesWorkers = nodeHasReusePort(process.versions.node);

/** The ports the primary chose for its workers (port 0 must mean one port for all of them). */
const WORKER_PORTS_ENV = 'SLOTGATE_WORKER_PORTS';

export interface WorkerPorts {
  readonly port: number;
  readonly tlsPort: number;
}

/**
 * In the primary: a concrete port for each 0 ("any free port"), so every worker binds the same;
 * -1 stands for a listener that is off.
 */
export async function choosePorts(port: number, tlsPort: number, host: string): Promise<WorkerPorts> {
  return { port: port === 0 ? await freePort(host) : port, tlsPort: tlsPort === 0 ? await freePort(host) : tlsPort };
}

export function workerPortsEnv(ports: WorkerPorts): Record<string, string> {
  return { [WORKER_PORTS_ENV]: `${ports.port},${ports.tlsPort}` };
}

/** In a worker: the ports its primary chose, or null when it listens through the primary. */
export function workerPorts(): WorkerPorts | null {
  const value = process.env[WORKER_PORTS_ENV];
  if (!value) return null;
  const [port, tlsPort] = value.split(',').map(Number);
  return { port: port ?? 0, tlsPort: tlsPort ?? 0 };
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
