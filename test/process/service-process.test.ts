import { describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { runAcip, startAcip } from '../helpers/acip-process.js';

describe('the acip process', () => {
  it('starts on free ports, answers /api/health, logs one line per listening socket, and exits 0 on SIGTERM', async () => {
    const acip = await startAcip();
    try {
      const health = (await (await fetch(`${acip.httpUrl}/api/health`)).json()) as { status: string; version: string };
      expect(health.status).toBe('ok');
      expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
      const listening = acip.logs.filter((l) => String(l.msg).startsWith('listening:')).map((l) => String(l.msg).split(' on ')[0]);
      expect(listening.sort()).toEqual(['listening: HTTP API and panel', 'listening: SIP over TCP', 'listening: SIP over UDP']);
      // The SIP socket answers: an OPTIONS over UDP gets 200 with Allow.
      const sipPort = Number(acip.logs.find((l) => l.socket === 'sip-udp')!.port);
      const sock = createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
      const local = sock.address().port;
      const reply = new Promise<string>((resolve) => sock.once('message', (m) => resolve(m.toString())));
      const options = [
        `OPTIONS sip:acip@127.0.0.1:${sipPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-proc-1;rport`,
        'Max-Forwards: 70',
        `From: <sip:test@127.0.0.1:${local}>;tag=t1`,
        `To: <sip:acip@127.0.0.1:${sipPort}>`,
        'Call-ID: proc-test-1',
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      sock.send(options, sipPort, '127.0.0.1');
      const res = await reply;
      sock.close();
      expect(res).toMatch(/^SIP\/2\.0 200 /);
      expect(res).toMatch(/^Allow: .*INVITE/m);
    } finally {
      const r = await acip.stop('SIGTERM');
      expect(r).toEqual({ code: 0, signal: null });
    }
    expect(acip.logs.some((l) => l.msg === 'stopped')).toBe(true);
  });

  it('exits 0 on SIGINT too', async () => {
    const acip = await startAcip();
    expect(await acip.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it('collects its garbage on SIGUSR2 and logs the memory before and after, and keeps serving', async () => {
    const acip = await startAcip();
    try {
      const seen = acip.logs.length;
      acip.child.kill('SIGUSR2');
      let line: Record<string, unknown> | undefined;
      for (let i = 0; i < 100 && !line; i++) {
        line = acip.logs.slice(seen).find((l) => l.signal === 'SIGUSR2');
        if (!line) await new Promise((r) => setTimeout(r, 50));
      }
      expect(line?.msg).toMatch(/^received SIGUSR2: full garbage collection, heap used [\d.]+ → [\d.]+ MiB in \d+ ms(?: \(media workers [^)]*\))?, RSS [\d.]+ → [\d.]+ MiB$/);
      expect(Number(line?.heapUsedAfter)).toBeGreaterThan(0);
      expect((await fetch(`${acip.httpUrl}/api/health`)).status).toBe(200);
    } finally {
      expect(await acip.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it('prints --help listing the flags and exits 0', async () => {
    const p = await runAcip(['--help']);
    const r = await p.exited;
    expect(r.code).toBe(0);
    const out = p.stdout();
    for (const f of ['--sip-port', '--http-port', '--http-host', '--rtp-ports', '--config', '--data-dir', '--input', '--output', 'ACIP_SIP_PORT']) {
      expect(out).toContain(f);
    }
  });

  it.each([
    [['--sip-port', '99999'], /--sip-port.*65535.*99999/],
    [['--config', '/nonexistent.yaml'], /--config.*cannot read config file/],
    [['--http-host', '0.0.0.0', '--http-port', '0'], /http\.password.*not a loopback/],
    [['--no-such-flag'], /--no-such-flag: unknown flag/],
  ])('refuses bad configuration %j with exit code 2 and a message naming the field', async (args, msg) => {
    const p = await runAcip(args);
    const r = await p.exited;
    expect(r.code).toBe(2);
    expect(p.stderr()).toMatch(msg);
  });
});
