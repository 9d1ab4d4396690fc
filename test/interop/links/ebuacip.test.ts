/**
 * Acceptance: EBU Tech 3368 `a=ebuacip` with baresip's `ebuacip` module.
 *
 * baresip 1.0 facts found here: the module announces its `audio_buffer MIN-MAX` (ms, default 20-160)
 * as `jbdef 0 auto MIN-MAX`, or `jbdef 0 fixed MIN` with `ebuacip_jb_type fixed`; without
 * `ebuacip_jb_type` it sends no jbdef at all (only `version`, `jb`, `qosrec`). It adds its lines to
 * its offers only: its answers to our offers carry none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { BARESIP_CODECS, SOURCE_TONE, startBaresip, type BaresipOptions, closedDecDumps } from '../../helpers/baresip.js';
import { measureTone, readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from './harness.js';

const has = requireProgram('baresip') && requireProgram('sox');

const PROFILES = {
  'lt-opus-nopeer.yaml':
    'name: lt-opus-nopeer\ntitle: Opus, ignore the peer jbdef\ncodecs: [{ codec: opus, channels: 2, bitrate: 128000 }]\nptimeMs: 20\njitterBuffer: { mode: adaptive, minMs: 30, maxMs: 90 }\nacceptPeerJbdef: false\n',
};

describe.skipIf(!has)("acip and baresip's ebuacip module understand each other's a=ebuacip lines", () => {
  let acip: LtAcip;
  beforeAll(async () => {
    acip = await startLtAcip({ profiles: PROFILES });
  }, 30_000);
  afterAll(async () => {
    await acip?.close();
  });

  /** baresip dials acip; returns the link snapshot once audio has flowed, after hanging up. */
  async function inbound(opts: BaresipOptions, profile: string) {
    const b = await startBaresip({ ebuacip: true, codecs: [BARESIP_CODECS.opus], ...opts });
    try {
      await acip.api('POST', '/api/phonebook', { name: `ebuacip ${b.sipPort}`, uri: b.uri, profile, probe: false });
      await b.command(`/dial sip:acip@127.0.0.1:${acip.sipPort}`);
      const link = await waitFor(async () => ((await acip.api('GET', '/api/links')).body.links as any[]).find((l) => l.remote.includes(`:${b.sipPort}`)), 8000);
      expect(link).toBeTruthy();
      const s = await waitForLinkState(acip, link.id, 'connected', 8000);
      expect(s.state).toBe('connected');
      await sleep(2500);
      const snap = (await acip.api('GET', `/api/links/${link.id}`)).body;
      await acip.api('DELETE', `/api/links/${link.id}`);
      await waitForLinkState(acip, link.id, 'ended', 8000);
      await waitFor(() => /terminated/.test(b.proc.output), 3000);
      // Read baresip's dump now: stop() removes its folder.
      return { snap, dump: readWavFile((await closedDecDumps(b.sndDir))[0]!), rec: join(acip.recDir, `acip-${link.id}.wav`) };
    } finally {
      await b.stop();
    }
  }

  it("acip applies baresip's jbdef auto 40-120 to its receive buffer when the profile accepts peer jbdefs", async () => {
    const { snap, dump, rec } = await inbound({ audioBuffer: '40-120', ebuacipJbType: 'auto' }, 'opus-music-128k');
    expect(snap.remoteSdp).toMatch(/a=ebuacip:jbdef 0 auto 40-120/);
    expect(snap.ebuacip.theirs).toContain('jbdef 0 auto 40-120');
    expect(snap.ebuacip.applied).toEqual({ mode: 'adaptive', minMs: 40, maxMs: 120, source: 'peer' });
    // The applied buffer is what the receive path runs with: its target sits within 40-120 ms.
    expect(snap.rx.targetBufferMs).toBeGreaterThanOrEqual(40);
    expect(snap.rx.targetBufferMs).toBeLessThanOrEqual(120);
    // Audio both ways.
    const atB = measureTone(dump, 1000, 1.0, 1.0);
    expect(Math.abs(atB.peakEquivDbfs[0]! + 18)).toBeLessThanOrEqual(1);
    const atA = measureTone(readWavFile(rec), SOURCE_TONE.hz, 1.0, 1.0);
    expect(Math.abs(atA.peakEquivDbfs[0]! - SOURCE_TONE.peakDbfs)).toBeLessThanOrEqual(1.5);
  }, 40_000);

  it("acip applies baresip's jbdef fixed 60 as a fixed buffer", async () => {
    const { snap } = await inbound({ audioBuffer: '60-120', ebuacipJbType: 'fixed' }, 'opus-music-128k');
    expect(snap.ebuacip.theirs).toContain('jbdef 0 fixed 60');
    expect(snap.ebuacip.applied).toEqual({ mode: 'fixed', delayMs: 60, source: 'peer' });
  }, 40_000);

  it("acip keeps its own buffer when the profile does not accept the peer's jbdef", async () => {
    const { snap } = await inbound({ audioBuffer: '40-120', ebuacipJbType: 'auto' }, 'lt-opus-nopeer');
    expect(snap.ebuacip.theirs).toContain('jbdef 0 auto 40-120');
    expect(snap.ebuacip.applied).toEqual({ mode: 'adaptive', minMs: 30, maxMs: 90, source: 'profile' });
  }, 40_000);

  it("baresip with the ebuacip module accepts acip's offer with a=ebuacip lines and audio flows", async () => {
    const b = await startBaresip({ ebuacip: true, codecs: [BARESIP_CODECS.opus], audioBuffer: '40-120', ebuacipJbType: 'auto' });
    try {
      const r = await acip.api('POST', '/api/links', { to: b.uri, profile: 'opus-music-128k' });
      expect(r.status).toBe(201);
      const s = await waitForLinkState(acip, r.body.id, 'connected', 8000);
      expect(s.state).toBe('connected');
      expect(s.localSdp).toMatch(/a=ebuacip:version 0/);
      expect(s.localSdp).toMatch(/a=ebuacip:jbdef 0 auto 20-160/);
      await sleep(2500);
      await acip.api('DELETE', `/api/links/${r.body.id}`);
      await waitForLinkState(acip, r.body.id, 'ended', 8000);
      await waitFor(() => /terminated/.test(b.proc.output), 3000);
      // baresip's ebuacip module logged no complaint and played our tone.
      expect(b.proc.output).not.toMatch(/ebuacip.*(error|invalid)/i);
      const atB = measureTone(readWavFile((await closedDecDumps(b.sndDir))[0]!), 1000, 1.0, 1.0);
      expect(Math.abs(atB.frequencyHz[0]! - 1000)).toBeLessThanOrEqual(5);
      expect(Math.abs(atB.peakEquivDbfs[0]! + 18)).toBeLessThanOrEqual(1);
      const atA = measureTone(readWavFile(join(acip.recDir, `acip-${r.body.id}.wav`)), SOURCE_TONE.hz, 1.0, 1.0);
      expect(Math.abs(atA.peakEquivDbfs[0]! - SOURCE_TONE.peakDbfs)).toBeLessThanOrEqual(1.5);
    } finally {
      await b.stop();
    }
  }, 40_000);
});
