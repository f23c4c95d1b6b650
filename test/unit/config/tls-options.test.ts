// The TLS and backend-credential options: where the backend password may come from (never the
// command line, where ps shows it), what each TLS option needs, and that the secret never shows
// in --help or in an error message.
import { describe, expect, it } from 'vitest';
import { buildCli, ConfigError, resolveConfig } from '../../../src/config/config.js';
import { configFileForTest } from '../../helpers/config-file.js';

const SECRET = 'Backend#Secret9';

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  return 'no error';
}

describe('backend credentials', () => {
  it('come from the config file or SLOTGATE_BACKEND_PASSWORD', () => {
    const file = configFileForTest(`cluster: "a:1"\nbackend-user: proxy\nbackend-password: "${SECRET}"\n`);
    expect(resolveConfig(['--config', file], {}).backendAuth).toEqual({ user: 'proxy', password: SECRET });
    expect(resolveConfig(['--cluster', 'a:1'], { SLOTGATE_BACKEND_PASSWORD: SECRET }).backendAuth).toEqual({ user: null, password: SECRET });
    expect(resolveConfig(['--cluster', 'a:1'], {}).backendAuth).toBeNull();
  });

  it('refuse the password as a command-line flag, in any spelling, without quoting it', () => {
    for (const argv of [['--backend-password', SECRET], [`--backend-password=${SECRET}`]]) {
      const message = errorOf(() => resolveConfig(['--cluster', 'a:1', ...argv], {}));
      expect(message).toMatch(/^option backend-password: not accepted on the command line/);
      expect(message).not.toContain(SECRET);
    }
  });

  it('need a password for a backend-user, and a string one in YAML', () => {
    expect(errorOf(() => resolveConfig(['--cluster', 'a:1', '--backend-user', 'proxy'], {}))).toMatch(/^option backend-user: needs backend-password/);
    expect(errorOf(() => resolveConfig(['--config', configFileForTest('cluster: "a:1"\nbackend-password: 12345\n')], {}))).toBe('option backend-password: must be a string (quote it in YAML)');
  });

  it('never show in --help, even when set', async () => {
    const help = await buildCli([], { SLOTGATE_BACKEND_PASSWORD: SECRET }).getHelp();
    expect(help).toContain('--backend-password');
    expect(help).not.toContain(SECRET);
  });
});

describe('peer-secret', () => {
  it('comes from the config file or SLOTGATE_PEER_SECRET, never a flag, and is a string', () => {
    expect(resolveConfig(['--config', configFileForTest(`cluster: "a:1"\npeer-secret: "${SECRET}"\n`)], {}).peerSecret).toBe(SECRET);
    expect(resolveConfig(['--cluster', 'a:1'], { SLOTGATE_PEER_SECRET: SECRET }).peerSecret).toBe(SECRET);
    expect(resolveConfig(['--cluster', 'a:1'], {}).peerSecret).toBeNull();
    for (const argv of [['--peer-secret', SECRET], [`--peer-secret=${SECRET}`]]) {
      const message = errorOf(() => resolveConfig(['--cluster', 'a:1', ...argv], {}));
      expect(message).toMatch(/^option peer-secret: not accepted on the command line .* SLOTGATE_PEER_SECRET$/);
      expect(message).not.toContain(SECRET);
    }
    expect(errorOf(() => resolveConfig(['--config', configFileForTest('cluster: "a:1"\npeer-secret: 12345\n')], {}))).toBe('option peer-secret: must be a string (quote it in YAML)');
  });
});

describe('TLS options', () => {
  const base = ['--cluster', 'a:1'];

  it('a TLS listener needs a certificate and key, and a CA unless tls-auth-clients is no', () => {
    expect(resolveConfig(base, {}).tls).toBeNull();
    expect(errorOf(() => resolveConfig([...base, '--tls-port', '6390'], {}))).toBe('option tls-port: needs tls-cert-file and tls-key-file');
    const withFiles = [...base, '--tls-port', '6390', '--tls-cert-file', 'c.pem', '--tls-key-file', 'k.pem'];
    expect(errorOf(() => resolveConfig(withFiles, {}))).toMatch(/^option tls-auth-clients: 'yes' needs tls-ca-cert-file/);
    expect(resolveConfig([...withFiles, '--tls-auth-clients', 'no'], {}).tls).toEqual({ port: 6390, certFile: 'c.pem', keyFile: 'k.pem', caCertFile: null, authClients: 'no' });
    expect(resolveConfig([...withFiles, '--tls-ca-cert-file', 'ca.pem', '--tls-auth-clients', 'optional'], {}).tls?.authClients).toBe('optional');
    expect(errorOf(() => resolveConfig([...withFiles, '--tls-auth-clients', 'maybe'], {}))).toBe("option tls-auth-clients: 'maybe' is not one of yes, no, optional");
  });

  it('backend TLS options need backend-tls on, and a client certificate needs its key', () => {
    expect(resolveConfig(base, {}).backendTls).toBeNull();
    expect(resolveConfig([...base, '--backend-tls', 'yes'], {}).backendTls).toEqual({ caCertFile: null, serverName: null, certFile: null, keyFile: null });
    expect(errorOf(() => resolveConfig([...base, '--backend-tls-ca-cert-file', 'ca.pem'], {}))).toMatch(/^option backend-tls: the backend-tls-\* options are set but backend-tls is no/);
    expect(errorOf(() => resolveConfig([...base, '--backend-tls', 'yes', '--backend-tls-cert-file', 'c.pem'], {}))).toMatch(/^option backend-tls-cert-file: needs backend-tls-key-file/);
  });
});
