// Certificates made at test time with openssl: a CA, server certificates for 127.0.0.1/localhost
// and client certificates, all signed by it (or by a second, untrusted CA). Remember remove().
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertPair {
  certFile: string;
  keyFile: string;
}

export interface TestPki {
  readonly dir: string;
  readonly caCertFile: string;
  /** A server certificate for 127.0.0.1 and localhost with this common name (read it back to tell certificates apart). */
  serverCert(commonName: string): CertPair;
  /** A client certificate with this common name. */
  clientCert(commonName: string): CertPair;
  remove(): void;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA of its own; `makeTestPki()` twice gives two CAs that do not trust each other. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'slotgate-pki-'));
  const caKey = join(dir, 'ca.key');
  const caCertFile = join(dir, 'ca.crt');
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caCertFile, '-days', '2', '-subj', '/CN=slotgate test CA');
  let serial = 1;
  const issue = (name: string, extensions: string): CertPair => {
    const base = join(dir, `${name.replace(/\W/g, '_')}-${serial}`);
    const ext = `${base}.ext`;
    writeFileSync(ext, extensions);
    openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${name}`);
    openssl(dir, 'x509', '-req', '-in', `${base}.csr`, '-CA', caCertFile, '-CAkey', caKey, '-set_serial', String(serial++), '-days', '2', '-out', `${base}.crt`, '-extfile', ext);
    return { certFile: `${base}.crt`, keyFile: `${base}.key` };
  };
  return {
    dir,
    caCertFile,
    // Redis uses one certificate both ways (tls-cluster, tls-replication), so servers may also act as clients.
    serverCert: (name) => issue(name, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n'),
    clientCert: (name) => issue(name, 'extendedKeyUsage=clientAuth\n'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
