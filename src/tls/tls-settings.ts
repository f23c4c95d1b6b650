/**
 * How slotgate's connections are secured, as resolved from the options (config/tls-options.ts):
 * client TLS, backend credentials and backend TLS. Plain data, kept low in the layers so the
 * backend connections (backend/backend-security.ts) can take it without depending on config/.
 */
export type TlsAuthClients = 'yes' | 'no' | 'optional';

export interface BackendAuthSettings {
  /** ACL user; null = the default user (AUTH <password>). */
  readonly user: string | null;
  readonly password: string;
}

export interface ClientTlsSettings {
  readonly port: number;
  readonly certFile: string;
  readonly keyFile: string;
  readonly caCertFile: string | null;
  readonly authClients: TlsAuthClients;
}

export interface BackendTlsSettings {
  readonly caCertFile: string | null;
  /** SNI and the name checked against the node's certificate; null = the node's host. */
  readonly serverName: string | null;
  readonly certFile: string | null;
  readonly keyFile: string | null;
  /** The options these came from, for error messages: `backend-tls` (the default) or `sentinel-tls`. */
  readonly optionPrefix?: 'backend-tls' | 'sentinel-tls';
}

export interface ConnectionSecuritySettings {
  backendAuth: BackendAuthSettings | null;
  /** null = no TLS listener. */
  tls: ClientTlsSettings | null;
  /** null = plain TCP to the backend nodes. */
  backendTls: BackendTlsSettings | null;
}
