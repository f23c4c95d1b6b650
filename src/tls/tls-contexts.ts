/**
 * Certificates and keys read from their files into TLS contexts: the client listener's (a
 * tls.Server) and the one slotgate uses towards backend nodes. Called at start and on every
 * reload, so replaced files take effect for new connections. A file that cannot be read or a key
 * that does not match its certificate throws an Error naming the option and path (never the
 * file's content), and a reload that meets one is rejected as a whole.
 */
import fs from 'node:fs';
import tls from 'node:tls';
import type { BackendTlsSettings, ClientTlsSettings } from './tls-settings.js';

function readPem(option: string, path: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (err) {
    throw new Error(`option ${option}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** createSecureContext, with OpenSSL's complaint (which quotes no key material) put in context. */
function secureContext(what: string, options: tls.SecureContextOptions): tls.SecureContext {
  try {
    return tls.createSecureContext(options);
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`);
  }
}

/**
 * The listener's certificate, key and the CA that client certificates must chain to, checked by
 * building a context from them (tls.Server takes the PEM itself, not a ready SecureContext: it
 * builds its own from these options, at creation and in setSecureContext).
 */
export function clientListenerCredentials(settings: ClientTlsSettings): tls.SecureContextOptions {
  const credentials: tls.SecureContextOptions = {
    cert: readPem('tls-cert-file', settings.certFile),
    key: readPem('tls-key-file', settings.keyFile),
    ...(settings.caCertFile ? { ca: readPem('tls-ca-cert-file', settings.caCertFile) } : {}),
  };
  secureContext('TLS listener (tls-cert-file, tls-key-file, tls-ca-cert-file)', credentials);
  return credentials;
}

/** Options for tls.createServer and setSecureContext; who must show a certificate changes only on restart. */
export function clientListenerOptions(settings: ClientTlsSettings, credentials: tls.SecureContextOptions): tls.TlsOptions {
  return {
    ...credentials,
    requestCert: settings.authClients !== 'no',
    rejectUnauthorized: settings.authClients === 'yes',
  };
}

/** The context for backend sockets: the CA to verify nodes with, and slotgate's own certificate if any. */
export function backendContext(settings: BackendTlsSettings): tls.SecureContext {
  const p = settings.optionPrefix ?? 'backend-tls';
  return secureContext(`${p === 'backend-tls' ? 'backend' : 'Sentinel'} TLS (${p}-ca-cert-file, ${p}-cert-file, ${p}-key-file)`, {
    ...(settings.caCertFile ? { ca: readPem(`${p}-ca-cert-file`, settings.caCertFile) } : {}),
    ...(settings.certFile ? { cert: readPem(`${p}-cert-file`, settings.certFile) } : {}),
    ...(settings.keyFile ? { key: readPem(`${p}-key-file`, settings.keyFile) } : {}),
  });
}
