/**
 * Certificates made per test run with the openssl CLI, in a temp folder removed by `remove()`:
 * a CA, a server certificate for 127.0.0.1/localhost and a client certificate signed by it, and a
 * self-signed certificate for the verification-failure cases. EC P-256 keys keep this fast.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { requireProgram } from './require-program.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertPair {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
  /** Certificate followed by key in one file (baresip's `sip_certificate`). */
  combinedFile: string;
}

export interface TestCerts {
  dir: string;
  ca: CertPair;
  server: CertPair;
  client: CertPair;
  selfSigned: CertPair;
  /** Another server certificate from the same CA (for reload tests), told apart by its CN. */
  issueServer(name: string, cn: string): CertPair;
  remove(): void;
}

const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function pair(dir: string, name: string): CertPair {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const cert = readFileSync(certFile, 'utf8');
  const key = readFileSync(keyFile, 'utf8');
  const combinedFile = join(dir, `${name}.pem`);
  writeFileSync(combinedFile, cert + key);
  return { certFile, keyFile, cert, key, combinedFile };
}

function signed(dir: string, name: string, cn: string, ext: string): CertPair {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, ['req', ...KEY_ARGS, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`]);
  return pair(dir, name);
}

const SERVER_EXT = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n';

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'acip-certs-'));
  try {
    openssl(dir, ['req', '-x509', ...KEY_ARGS, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=acip test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    const ca = pair(dir, 'ca');
    const server = signed(dir, 'server', 'localhost', SERVER_EXT);
    const client = signed(dir, 'client', 'acip test client', 'extendedKeyUsage=clientAuth\n');
    openssl(dir, ['req', '-x509', ...KEY_ARGS, '-keyout', 'self.key', '-out', 'self.crt', '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
    const selfSigned = pair(dir, 'self');
    return {
      dir,
      ca,
      server,
      client,
      selfSigned,
      issueServer: (name, cn) => signed(dir, name, cn, SERVER_EXT),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The set-up every TLS test file shares: certificates made once for the file (when openssl is
 * there), removed after it, and a list of closers run after each test. Call at the top level of a
 * test file; read `certs` inside tests only.
 */
export function tlsTestEnv(): { hasOpenssl: boolean; closers: Array<() => unknown>; readonly certs: TestCerts } {
  const hasOpenssl = requireProgram('openssl');
  let made: TestCerts | undefined;
  const closers: Array<() => unknown> = [];
  beforeAll(() => {
    if (hasOpenssl) made = makeTestCerts();
  });
  afterAll(() => made?.remove());
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });
  return {
    hasOpenssl,
    closers,
    get certs(): TestCerts {
      if (!made) throw new Error('no test certificates: openssl is missing');
      return made;
    },
  };
}
