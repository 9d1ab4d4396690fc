import { describe, expect, it } from 'vitest';
import { runAcip, startAcip } from '../helpers/acip-process.js';

describe('the acip process', () => {
  it('starts on free ports, answers /api/health, logs one line per listening socket, and exits 0 on SIGTERM', async () => {
    const acip = await startAcip();
    try {
      const health = (await (await fetch(`${acip.httpUrl}/api/health`)).json()) as { status: string; version: string };
      expect(health.status).toBe('ok');
      expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
      const listening = acip.logs.filter((l) => String(l.msg).startsWith('listening:'));
      expect(listening.length).toBeGreaterThanOrEqual(1);
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

  it('prints --help listing the flags and exits 0', async () => {
    const p = runAcip(['--help']);
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
    const p = runAcip(args);
    const r = await p.exited;
    expect(r.code).toBe(2);
    expect(p.stderr()).toMatch(msg);
  });
});
