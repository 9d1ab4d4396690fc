import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SipMessage } from '../../../server/sip/grammar/message.js';
import type { CallEndInfo, SipCall } from '../../../server/sip/ua/call.js';
import type { IncomingCall } from '../../../server/sip/ua/incoming-call.js';
import { requireProgram } from '../../helpers/require-program.js';
import { baresipConsole, launchBaresip, writeBaresipFiles } from '../../helpers/baresip.js';
import { freePort } from '../../helpers/sip-peer-process.js';
import { minimalSdp, startUa, type UaHarness } from '../../helpers/sip-ua-harness.js';

/**
 * RFC 4028 session refreshes with baresip 1.0, which has no session timer of its own (no
 * `Supported: timer`): acip refreshes both as caller and as callee, and the call must survive
 * them. Intervals of seconds through the test-only `sessionTimerFloorS`.
 */
const has = requireProgram('baresip');
const SECONDS = { sessionTimerFloorS: 1, minSeS: 2, sessionExpiresS: 4 };

async function startPeer() {
  const dir = mkdtempSync(join(tmpdir(), 'acip-baresip-timer-'));
  const sipPort = await freePort();
  const consPort = await freePort();
  const rtpLo = 30000 + 2 * Math.floor(Math.random() * 9000);
  writeBaresipFiles(
    dir,
    { sipPort, consPort, rtpPorts: [rtpLo, rtpLo + 40], audioSource: 'ausine,1000', modules: ['g711', 'ausine', 'aubridge', 'account', 'cons'], appModules: ['menu'] },
    `<sip:bs@127.0.0.1:${sipPort}>;regint=0;answermode=auto;audio_codecs=PCMU/8000/1`,
  );
  const proc = await launchBaresip(dir, { ready: /baresip is ready|Listening on|ua: /i });
  const cons = baresipConsole(consPort);
  return {
    sipPort,
    proc,
    command: (line: string) => cons.command(line),
    stop: async () => {
      cons.close();
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every SIP message the UA sends over UDP. */
function recordSent(h: UaHarness): SipMessage[] {
  const out: SipMessage[] = [];
  const send = h.udp.send.bind(h.udp);
  h.udp.send = (m, d) => {
    if (!Buffer.isBuffer(m)) out.push(m);
    return send(m, d);
  };
  return out;
}

const isRefresh = (m: SipMessage) => m.kind === 'request' && (m.method === 'UPDATE' || (m.method === 'INVITE' && /;tag=/.test(m.headers.get('To') ?? '')));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!pred() && Date.now() < deadline) await sleep(50);
  return pred();
}

/** Two refreshes at half of 4 s, then past the expiry of the last: the call must still be up. */
async function survivesTwoRefreshes(call: SipCall, sent: SipMessage[], ended: CallEndInfo[]): Promise<void> {
  expect(await waitFor(() => sent.filter(isRefresh).length >= 2, 8000)).toBe(true);
  // baresip 1.0 does not allow UPDATE: re-INVITEs repeating our session description, unchanged.
  const refreshes = sent.filter(isRefresh);
  expect(refreshes.every((m) => m.kind === 'request' && m.method === 'INVITE' && m.body.toString() === call.localSdp)).toBe(true);
  await sleep(3000);
  expect(ended).toEqual([]);
  expect(call.ended).toBe(false);
  expect(call.sessionInterval).toEqual({ intervalS: 4, refresher: 'local' });
}

describe('session refreshes with baresip (no session-timer support)', () => {
  it.skipIf(!has)('keeps a call from baresip to acip up across two refreshes, then hangs up normally', async () => {
    const h = await startUa(SECONDS);
    const bs = await startPeer();
    const sent = recordSent(h);
    const ended: CallEndInfo[] = [];
    let call: IncomingCall | undefined;
    h.ua.on('incomingCall', (c) => {
      call = c;
      c.on('ended', (e) => ended.push(e));
      c.on('reinvite', (o) => o.accept(minimalSdp(41020, 2)));
      c.accept(minimalSdp(41000));
    });
    try {
      await bs.command(`/dial sip:acip@127.0.0.1:${h.udp.local.port}`);
      expect(await waitFor(() => call?.state === 'confirmed', 8000)).toBe(true);
      const ok = sent.find((m) => m.kind === 'response' && m.status === 200 && (m.headers.get('CSeq') ?? '').endsWith('INVITE'))!;
      expect(ok.headers.get('Session-Expires')).toBe('4;refresher=uas');
      expect(ok.headers.get('Require')).toBeUndefined();
      await survivesTwoRefreshes(call!, sent, ended);
      const before = bs.proc.output.length;
      await call!.bye();
      expect(await waitFor(() => /terminated/i.test(bs.proc.output.slice(before)), 5000)).toBe(true);
      expect(ended).toEqual([{ by: 'local' }]);
    } finally {
      await bs.stop();
      await h.close();
    }
  }, 40_000);

  it.skipIf(!has)('keeps a call from acip to baresip up across two refreshes, then hangs up normally', async () => {
    const h = await startUa(SECONDS);
    const bs = await startPeer();
    const sent = recordSent(h);
    const ended: CallEndInfo[] = [];
    try {
      const call = h.ua.invite(`sip:bs@127.0.0.1:${bs.sipPort}`, { sdp: minimalSdp(41000) });
      call.on('ended', (e) => ended.push(e));
      expect(await waitFor(() => call.state === 'answered', 8000)).toBe(true);
      await survivesTwoRefreshes(call, sent, ended);
      const before = bs.proc.output.length;
      await call.bye();
      expect(await waitFor(() => /terminated/i.test(bs.proc.output.slice(before)), 5000)).toBe(true);
      expect(ended).toEqual([{ by: 'local' }]);
    } finally {
      await bs.stop();
      await h.close();
    }
  }, 40_000);
});
