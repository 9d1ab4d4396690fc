/**
 * The service as a process with `sip.tls` configured: it listens for SIP over TLS, answers OPTIONS,
 * and on SIGHUP swaps certificate and key for new handshakes while an open connection carries on.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAcip, startAcip } from '../../helpers/acip-process.js';
import { makeTestCerts, type TestCerts } from '../../helpers/certs.js';
import { requireProgram } from '../../helpers/require-program.js';

const has = requireProgram('openssl');
let certs: TestCerts;
beforeAll(() => {
  if (has) certs = makeTestCerts();
});
afterAll(() => certs?.remove());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!pred() && Date.now() < deadline) await sleep(25);
  return pred();
}

async function connect(port: number) {
  const socket = tls.connect({ host: '127.0.0.1', port, ca: certs.ca.cert });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  const peer = { socket, data: '', cn: socket.getPeerCertificate().subject?.CN };
  socket.on('data', (d: Buffer) => (peer.data += d.toString()));
  socket.on('error', () => {});
  return peer;
}

function options(port: number, id: string): string {
  return [
    `OPTIONS sips:acip@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-svc-${id};rport`,
    'Max-Forwards: 70',
    `From: <sips:probe@127.0.0.1>;tag=${id}`,
    `To: <sips:acip@127.0.0.1:${port}>`,
    `Call-ID: svc-${id}@127.0.0.1`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('the service with SIP over TLS configured', () => {
  it.skipIf(!has)('listens on sip.tls.port, and on SIGHUP reloads the certificate without dropping an open connection', async () => {
    const certFile = join(certs.dir, 'live.crt');
    const keyFile = join(certs.dir, 'live.key');
    copyFileSync(certs.server.certFile, certFile);
    copyFileSync(certs.server.keyFile, keyFile);
    const acip = await startAcip(['--sip-tls-cert', certFile, '--sip-tls-key', keyFile, '--sip-tls-ca', certs.ca.certFile, '--sip-tls-port', '0', '--sip-host', '127.0.0.1']);
    const peers: tls.TLSSocket[] = [];
    try {
      const line = acip.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('listening: SIP over TLS'));
      const port = Number(/:(\d+)$/.exec(String(line?.msg))?.[1]);
      expect(port).toBeGreaterThan(0);
      const before = await connect(port);
      peers.push(before.socket);
      expect(before.cn).toBe('localhost');
      before.socket.write(options(port, 'a'));
      expect(await waitFor(() => before.data.includes('SIP/2.0 200 OK'), 5000)).toBe(true);

      // A broken pair on disk: the reload fails, is logged, and the old pair stays.
      writeFileSync(keyFile, 'not a key\n');
      acip.child.kill('SIGHUP');
      expect(await waitFor(() => acip.logs.some((l) => /reloading the SIP over TLS certificate failed/.test(String(l.msg))), 5000)).toBe(true);
      const stillOld = await connect(port);
      peers.push(stillOld.socket);
      expect(stillOld.cn).toBe('localhost');

      const next = certs.issueServer('rotated', 'rotated');
      copyFileSync(next.certFile, certFile);
      copyFileSync(next.keyFile, keyFile);
      acip.child.kill('SIGHUP');
      expect(await waitFor(() => acip.logs.some((l) => /reloaded the SIP over TLS certificate/.test(String(l.msg))), 5000)).toBe(true);
      before.data = '';
      before.socket.write(options(port, 'b'));
      expect(await waitFor(() => before.data.includes('SIP/2.0 200 OK'), 5000)).toBe(true);
      const after = await connect(port);
      peers.push(after.socket);
      expect(after.cn).toBe('rotated');
      expect(acip.child.exitCode).toBeNull();
    } finally {
      for (const p of peers) p.destroy();
      await acip.stop();
    }
  }, 60_000);

  it.skipIf(!has)('refuses to start (exit 2) when the certificate file is missing, naming sip.tls.certFile', async () => {
    const p = await runAcip(['--sip-tls-cert', join(certs.dir, 'missing.crt'), '--sip-tls-key', certs.server.keyFile, '--http-port', '0', '--sip-port', '0']);
    const status = await p.exited;
    expect(status.code).toBe(2);
    expect(p.stderr()).toMatch(/--sip-tls-cert.*ENOENT|sip\.tls\.certFile.*ENOENT/);
  }, 60_000);
});
