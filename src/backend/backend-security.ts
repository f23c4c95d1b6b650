/**
 * What every backend socket slotgate opens is set up with: the AUTH command (backend-user,
 * backend-password) and the TLS context (backend-tls-*). One instance per slotgate, shared by
 * every NodeConnection (shared, dedicated, replica-read, the topology refresher's); a reload
 * replaces its contents, and connections opened from then on use the new ones (open connections
 * stay signed in: Redis does not sign out a connection when its password changes).
 *
 * The password lives only inside the encoded AUTH command, which is written to backend sockets
 * and nowhere else.
 */
import { checkServerIdentity, type ConnectionOptions, type SecureContext } from 'node:tls';
import type { BackendAuthSettings, BackendTlsSettings } from '../tls/tls-settings.js';
import { encodeCommand } from '../protocol/encoder.js';
import { backendContext } from '../tls/tls-contexts.js';
import type { BackendSecurity } from './node-connection.js';

export interface BackendSecuritySettings {
  backendAuth: BackendAuthSettings | null;
  backendTls: BackendTlsSettings | null;
}

interface Prepared {
  auth: Buffer | null;
  tls: { context: SecureContext; serverName: string | null } | null;
}

export class BackendSecurityState implements BackendSecurity {
  private current: Prepared;

  /** Throws (naming the option) when a certificate file cannot be read. */
  constructor(settings: BackendSecuritySettings) {
    this.current = prepare(settings);
  }

  /**
   * Reads the new settings' files and returns the function that puts them in force: the reload
   * checks everything first and applies nothing unless all of it is good.
   */
  prepareUpdate(settings: BackendSecuritySettings): () => void {
    const next = prepare(settings);
    return () => {
      this.current = next;
    };
  }

  authCommand(): Buffer | null {
    return this.current.auth;
  }

  tlsOptions(host: string): ConnectionOptions | null {
    const t = this.current.tls;
    if (!t) return null;
    const serverName = t.serverName ?? host;
    // SNI must be a host name, not an IP address (RFC 6066); the certificate check still uses it.
    const isIp = /^[\d.]+$|:/.test(serverName);
    return {
      secureContext: t.context,
      ...(isIp ? {} : { servername: serverName }),
      // Checked against backend-tls-server-name when set, not the address dialled.
      checkServerIdentity: (_host, cert) => checkServerIdentity(serverName, cert),
    };
  }
}

function prepare(settings: BackendSecuritySettings): Prepared {
  const auth = settings.backendAuth;
  return {
    auth: auth ? encodeCommand(auth.user === null ? ['AUTH', auth.password] : ['AUTH', auth.user, auth.password]) : null,
    tls: settings.backendTls ? { context: backendContext(settings.backendTls), serverName: settings.backendTls.serverName } : null,
  };
}
