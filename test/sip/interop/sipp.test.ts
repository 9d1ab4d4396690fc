import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/require-program.js';
import { freePort, PeerProcess, readSippStats, runProgram } from '../../helpers/sip-peer-process.js';
import { minimalSdp, startUa, type UaHarness } from '../../helpers/sip-ua-harness.js';

const hasSipp = requireProgram('sipp');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'acip-sipp-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('sipp as UAC against our UAS', () => {
  it.skipIf(!hasSipp)('completes 2 000 calls at 100 calls/s with no failed call and no unexpected message', async () => {
    const h: UaHarness = await startUa();
    let offers = 0;
    h.ua.on('incomingCall', (call) => {
      if (call.offerSdp?.includes('m=audio')) offers++;
      call.accept(minimalSdp());
    });
    try {
      const stf = join(dir, 'uac-stats.csv');
      const r = await runProgram(
        'sipp',
        ['-sn', 'uac', `127.0.0.1:${h.udp.local.port}`, '-i', '127.0.0.1', '-p', String(await freePort()),
          '-r', '100', '-m', '2000', '-l', '400', '-nostdin', '-trace_stat', '-stf', stf, '-fd', '1', '-timeout', '60s'],
        70_000,
        dir,
      );
      const stats = readSippStats(stf);
      expect(r.timedOut).toBe(false);
      expect(stats.get('SuccessfulCall(C)')).toBe('2000');
      expect(stats.get('FailedCall(C)')).toBe('0');
      expect(stats.get('FailedUnexpectedMessage(C)')).toBe('0');
      expect(r.code).toBe(0);
      expect(offers).toBe(2000);
      expect(h.ua.activeCalls).toBe(0);
    } finally {
      await h.close();
    }
  }, 90_000);
});

describe('sipp as UAC over TCP against our UAS', () => {
  it.skipIf(!hasSipp)('completes 200 calls over one TCP connection with no failed call', async () => {
    const h: UaHarness = await startUa();
    h.ua.on('incomingCall', (call) => call.accept(minimalSdp()));
    try {
      const stf = join(dir, 'uac-tcp-stats.csv');
      const r = await runProgram(
        'sipp',
        ['-sn', 'uac', `127.0.0.1:${h.tcp.local.port}`, '-t', 't1', '-i', '127.0.0.1', '-p', String(await freePort()),
          '-r', '100', '-m', '200', '-l', '100', '-nostdin', '-trace_stat', '-stf', stf, '-timeout', '30s'],
        40_000,
        dir,
      );
      const stats = readSippStats(stf);
      expect(stats.get('SuccessfulCall(C)')).toBe('200');
      expect(stats.get('FailedCall(C)')).toBe('0');
      expect(r.code).toBe(0);
      expect(h.tcp.counters.messagesIn).toBeGreaterThanOrEqual(600); // INVITE, ACK, BYE per call
      expect(h.udp.counters.messagesIn).toBe(0);
    } finally {
      await h.close();
    }
  }, 60_000);
});

describe('our UAC against sipp -sn uas', () => {
  for (const proto of ['udp', 'tcp'] as const) {
    it.skipIf(!hasSipp)(`places a call over ${proto.toUpperCase()}, gets the answer SDP, and hangs up cleanly`, async () => {
      const h = await startUa();
      const port = await freePort();
      const sipp = PeerProcess.start(
        'sipp',
        ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-t', proto === 'tcp' ? 't1' : 'u1', '-m', '1', '-nostdin', '-trace_stat', '-stf', join(dir, `uas-${proto}.csv`), '-timeout', '20s'],
        dir,
      );
      try {
        await new Promise((r) => setTimeout(r, 500));
        const target = `sip:service@127.0.0.1:${port}${proto === 'tcp' ? ';transport=tcp' : ''}`;
        const call = h.ua.invite(target, { sdp: minimalSdp(41000) });
        const answered = await new Promise<{ sdp: string | undefined } | { failed: number }>((resolve) => {
          call.on('answered', (a) => resolve(a));
          call.on('failed', (f) => resolve({ failed: f.status }));
        });
        expect('sdp' in answered && answered.sdp).toContain('m=audio');
        await call.bye();
        const exited = await new Promise<number | null>((resolve) => {
          const t = setTimeout(() => resolve(null), 10_000);
          sipp.child.on('close', (code) => {
            clearTimeout(t);
            resolve(code);
          });
          if (sipp.child.exitCode !== null) resolve(sipp.child.exitCode);
        });
        expect(exited).toBe(0);
        const stats = readSippStats(join(dir, `uas-${proto}.csv`));
        expect(stats.get('SuccessfulCall(C)')).toBe('1');
      } finally {
        await sipp.stop();
        await h.close();
      }
    }, 30_000);
  }
});
