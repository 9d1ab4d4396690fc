import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, readTlsFiles, validateConfig } from '../../server/config/load-config.js';
import { parseArgs } from '../../server/config/cli.js';
import { ConfigError } from '../../server/config/config-error.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { requireProgram } from '../helpers/require-program.js';
import { thrownBy } from '../helpers/thrown.js';

const hasOpenssl = requireProgram('openssl');
let certs: TestCerts;
beforeAll(() => {
  if (hasOpenssl) {
    certs = makeTestCerts();
    writeFileSync(join(certs.dir, 'not-pem.txt'), 'hello\n');
  }
});
afterAll(() => certs?.remove());

const configError = (fn: () => unknown): ConfigError => thrownBy(ConfigError, fn);

const withTls = (tls: Record<string, unknown>) => ({ sip: { tls } });

describe('SIP over TLS configuration keys', () => {
  it('defaults to port 5061 with TLS off (no certificate)', () => {
    const cfg = loadConfig();
    expect(cfg.sip.tls).toEqual({ port: 5061 });
    expect(readTlsFiles(cfg.sip.tls)).toBeUndefined();
  });

  it.skipIf(!hasOpenssl)('loads certificate, key and CA files as PEM text', () => {
    const cfg = validateConfig(withTls({ certFile: certs.server.certFile, keyFile: certs.server.keyFile, caFile: certs.ca.certFile, port: 5071 }));
    expect(cfg.sip.tls.port).toBe(5071);
    const files = readTlsFiles(cfg.sip.tls)!;
    expect(files.cert).toContain('BEGIN CERTIFICATE');
    expect(files.key).toContain('PRIVATE KEY');
    expect(files.ca).toContain('BEGIN CERTIFICATE');
  });

  const bad: Array<{ name: string; tls: () => Record<string, unknown>; field: string; message: RegExp }> = [
    { name: 'a certificate file that does not exist', tls: () => ({ certFile: join(certs.dir, 'nope.crt'), keyFile: certs.server.keyFile }), field: 'sip.tls.certFile', message: /cannot read file \(ENOENT\)/ },
    { name: 'a key file that does not exist', tls: () => ({ certFile: certs.server.certFile, keyFile: join(certs.dir, 'nope.key') }), field: 'sip.tls.keyFile', message: /ENOENT/ },
    { name: 'a CA file that does not exist', tls: () => ({ certFile: certs.server.certFile, keyFile: certs.server.keyFile, caFile: join(certs.dir, 'nope.ca') }), field: 'sip.tls.caFile', message: /ENOENT/ },
    { name: 'a key without a certificate', tls: () => ({ keyFile: certs.server.keyFile }), field: 'sip.tls.certFile', message: /required/ },
    { name: 'a certificate without a key', tls: () => ({ certFile: certs.server.certFile }), field: 'sip.tls.keyFile', message: /required/ },
    { name: 'a key that belongs to another certificate', tls: () => ({ certFile: certs.server.certFile, keyFile: certs.client.keyFile }), field: 'sip.tls.keyFile', message: /cannot be used/ },
    { name: 'a certificate file that is not PEM', tls: () => ({ certFile: join(certs.dir, 'not-pem.txt'), keyFile: certs.server.keyFile }), field: 'sip.tls.certFile', message: /not a PEM file/ },
    { name: 'a folder as the certificate', tls: () => ({ certFile: certs.dir, keyFile: certs.server.keyFile }), field: 'sip.tls.certFile', message: /EISDIR/ },
    { name: 'a port out of range', tls: () => ({ port: 70000 }), field: 'sip.tls.port', message: /65535/ },
  ];
  for (const b of bad) {
    it.skipIf(!hasOpenssl)(`rejects ${b.name}, naming ${b.field}`, () => {
      const err = configError(() => validateConfig(withTls(b.tls())));
      expect(err.field).toBe(b.field);
      expect(err.message).toMatch(b.message);
      expect(err.message.startsWith(`${b.field}:`)).toBe(true);
    });
  }

  it.skipIf(!hasOpenssl)('takes the files from --sip-tls-cert/--sip-tls-key/--sip-tls-ca and names the flag when one is unreadable', () => {
    const ok = parseArgs(['--sip-tls-cert', certs.server.certFile, '--sip-tls-key', certs.server.keyFile, '--sip-tls-ca', certs.ca.certFile, '--sip-tls-port', '5063']);
    expect(loadConfig({ overrides: ok.overrides }).sip.tls).toMatchObject({ port: 5063, certFile: certs.server.certFile });
    const missing = parseArgs(['--sip-tls-cert', join(certs.dir, 'nope.crt'), '--sip-tls-key', certs.server.keyFile]);
    const err = configError(() => loadConfig({ overrides: missing.overrides }));
    expect(err.message).toMatch(/sip-tls-cert.*ENOENT/);
  });
});
