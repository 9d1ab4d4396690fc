/**
 * Mid-call codec change by re-INVITE (EBU Tech 3326 asks for it): acip A calls acip B with Opus, then
 * `POST /api/links/:id/profile` re-INVITEs with G.722. Both ends must switch codec on the same call
 * (same SIP dialog, same RTP ports) and B's recording after the change must hold A's tone. Then the same
 * against baresip, which answers our re-INVITE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { BARESIP_CODECS, startBaresip } from '../../helpers/baresip.js';
import { measureTone, readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from './harness.js';

const has = requireProgram('baresip');

describe.skipIf(!has)('a mid-call codec change by re-INVITE', () => {
  let a: LtAcip;
  let b: LtAcip;
  beforeAll(async () => {
    [a, b] = await Promise.all([startLtAcip(), startLtAcip()]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('switches both acip ends from Opus to G.722 on the same call and carries the tone after the change', async () => {
    const dial = await a.api('POST', '/api/links', { to: `sip:acip@127.0.0.1:${b.sipPort}`, profile: 'opus-music-128k' });
    expect(dial.status).toBe(201);
    const before = await waitForLinkState(a, dial.body.id, 'connected', 8000);
    expect(before.codec.name).toBe('opus');
    const bLinks = (await b.api('GET', '/api/links')).body.links as { id: string; codec: { name: string } | null; localSdp: string }[];
    expect(bLinks).toHaveLength(1);
    const bId = bLinks[0]!.id;
    await sleep(1000);

    const change = await a.api('POST', `/api/links/${dial.body.id}/profile`, { profile: 'g722-voice' });
    expect(change.status).toBe(200);
    expect(change.body.codec.name).toBe('G722');
    expect(change.body.localSdp).toMatch(/^o=- \d+ 2 IN IP4/m); // same session, version incremented (RFC 3264 §8)
    const bAfter = await waitFor(async () => {
      const l = (await b.api('GET', `/api/links/${bId}`)).body;
      return l.codec?.name === 'G722' ? l : undefined;
    }, 5000);
    expect(bAfter.state).toBe('connected');
    expect(bAfter.codec).toMatchObject({ clockRate: 8000, channels: 1 });
    await sleep(2500);
    await a.api('DELETE', `/api/links/${dial.body.id}`);
    await waitForLinkState(b, bId, 'ended', 5000);

    // B records at the codec's audio rate: after the change the file holds 16 kHz mono G.722 audio.
    const file = readdirSync(b.recDir).find((f) => f.includes(bId))!;
    const wav = readWavFile(join(b.recDir, file));
    expect(wav.sampleRate).toBe(16000);
    const m = measureTone(wav, 1000, 0.5, 1.5);
    expect(Math.abs(m.frequencyHz[0]! - 1000)).toBeLessThan(5);
    expect(Math.abs(m.peakEquivDbfs[0]! + 18)).toBeLessThan(1.5);
  });

  it('is answered by baresip, which then sends the new codec', async () => {
    const peer = await startBaresip({ codecs: [BARESIP_CODECS.opus, BARESIP_CODECS.G722] });
    try {
      const dial = await a.api('POST', '/api/links', { to: peer.uri, profile: 'opus-music-128k' });
      await waitForLinkState(a, dial.body.id, 'connected', 8000);
      const change = await a.api('POST', `/api/links/${dial.body.id}/profile`, { profile: 'g722-voice' });
      expect(change.status).toBe(200);
      expect(change.body.codec.name).toBe('G722');
      const rxBefore = change.body.rx?.packets ?? 0;
      const later = await waitFor(async () => {
        const l = (await a.api('GET', `/api/links/${dial.body.id}`)).body;
        return l.rx && l.rx.packets > rxBefore + 50 ? l : undefined;
      }, 5000);
      expect(later.state).toBe('connected');
      expect(later.rx.malformed).toBe(0);
      await a.api('DELETE', `/api/links/${dial.body.id}`);
    } finally {
      await peer.stop();
    }
  });
});
