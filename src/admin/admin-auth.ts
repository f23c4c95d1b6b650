/**
 * The admin API's optional bearer token (`admin-token`, README: *Admin HTTP API*): when set, every endpoint but the
 * health probes needs `Authorization: Bearer <token>`, else 401. Shared by the admin server and the
 * --workers primary's.
 *
 * The comparison is constant-time on SHA-256 digests of both sides: timingSafeEqual needs equal
 * lengths, and comparing digests means neither the token's length nor its content leaks through
 * timing. The token itself is never logged or echoed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { Logger } from 'pino';

/**
 * Probes a load balancer or orchestrator calls without credentials: they say whether slotgate is
 * up, nothing about the cluster's data. (/readyz and /livez: the readiness and liveness endpoints.)
 */
export const OPEN_ADMIN_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/livez']);

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export class AdminToken {
  private readonly digest: Buffer | null;

  /** `token` '' means no token is required. */
  constructor(token: string) {
    this.digest = token === '' ? null : sha256(token);
  }

  get required(): boolean {
    return this.digest !== null;
  }

  /** True when the request may proceed; else the 401 has been sent. */
  admit(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): boolean {
    if (this.digest === null || OPEN_ADMIN_PATHS.has(pathname)) return true;
    if (this.matches(req.headers.authorization)) return true;
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="slotgate-admin"' });
    res.end(JSON.stringify({ error_code: 'Unauthorized', error_msg: 'this endpoint needs the admin token: Authorization: Bearer <admin-token>' }));
    return false;
  }

  matches(authorization: string | undefined): boolean {
    if (this.digest === null) return true;
    const match = /^Bearer +(.+)$/i.exec(authorization ?? '');
    if (!match) return false;
    return timingSafeEqual(sha256(match[1]!.trim()), this.digest);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** At start: an admin port reachable beyond this host without a token is worth a warning. */
export function warnIfAdminExposed(logger: Logger, host: string, token: string): void {
  if (token !== '' || LOOPBACK.has(host) || host.startsWith('127.')) return;
  logger.warn(
    { adminBind: host },
    'the admin API listens beyond loopback without admin-token: anyone who can reach it can read metrics, stats and hot keys and call every admin endpoint (set SLOTGATE_ADMIN_TOKEN)',
  );
}
