/**
 * Acceptance: baresip calls acip (auto-answer) and acip calls baresip via POST /api/links,
 * with Opus stereo, L16 stereo 48 kHz, G.722 and PCMA. Both recordings must hold the other side's
 * signal: acip's default tone (1 kHz, −18 dBFS peak) in baresip's sndfile dump, and baresip's known
 * file (440 Hz, −12 dBFS peak) in acip's `--output file:` recording.
 *
 * The codec is forced on both sides: acip's profile (outbound: POST profile; inbound: a phonebook entry
 * for baresip's URI naming the profile) and baresip's `audio_codecs`.
 *
 * Peer facts found here (baresip 1.0):
 * - L16 runs at 4 ms packets both ways (baresip's L16 answers `a=ptime:4` to our 4 ms offer, and sends
 *   4 ms packets whatever ptime it is offered). Its aufile source at 4 ms sends about 2.5 % slower than
 *   real time (≈ 100 packets per 410 ms); acip follows its clock (≈ 24 400 ppm) and stretches the audio,
 *   concealing well under 1 % (see jitter-buffer-slow-sender.test.ts).
 * - baresip's dumps are at the codec rate: opus/L16 48 kHz stereo, G.722 16 kHz mono, PCMA 8 kHz mono.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { BARESIP_CODECS, SOURCE_TONE, startBaresip, type BaresipPeer, closedDecDumps } from '../../helpers/baresip.js';
import { measureTone, readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from './harness.js';
import { dominantFrequency } from './measure.js';

const has = requireProgram('baresip') && requireProgram('sox');

const PROFILES = {
  'lt-g722.yaml': 'name: lt-g722\ntitle: G.722 only\ncodecs: [{ codec: G722 }]\nptimeMs: 20\njitterBuffer: { mode: adaptive, minMs: 20, maxMs: 120 }\n',
  'lt-pcma.yaml': 'name: lt-pcma\ntitle: PCMA only\ncodecs: [{ codec: PCMA }]\nptimeMs: 20\njitterBuffer: { mode: adaptive, minMs: 20, maxMs: 120 }\n',
};

interface Case {
  name: string;
  profile: string;
  baresipCodec: string;
  encodingName: string;
  dumpRate: number;
  dumpChannels: number;
}

const CASES: Case[] = [
  { name: 'Opus stereo', profile: 'opus-music-128k', baresipCodec: BARESIP_CODECS.opus, encodingName: 'opus', dumpRate: 48000, dumpChannels: 2 },
  { name: 'L16 stereo 48 kHz', profile: 'l16-stereo-48k', baresipCodec: BARESIP_CODECS.L16, encodingName: 'L16', dumpRate: 48000, dumpChannels: 2 },
  { name: 'G.722', profile: 'lt-g722', baresipCodec: BARESIP_CODECS.G722, encodingName: 'G722', dumpRate: 16000, dumpChannels: 1 },
  { name: 'PCMA', profile: 'lt-pcma', baresipCodec: BARESIP_CODECS.PCMA, encodingName: 'PCMA', dumpRate: 8000, dumpChannels: 1 },
];

/** How long each call carries audio before it is hung up. */
const HOLD_MS = 3500;

describe.skipIf(!has)('calls between acip and baresip carry audio both ways with every codec', () => {
  let acip: LtAcip;
  beforeAll(async () => {
    acip = await startLtAcip({ profiles: PROFILES });
  }, 30_000);
  afterAll(async () => {
    await acip?.close();
  });

  /** One call, either direction; returns the link's snapshot while connected and the two recordings. */
  async function call(c: Case, direction: 'outbound' | 'inbound', b: BaresipPeer) {
    let id: string;
    if (direction === 'outbound') {
      const r = await acip.api('POST', '/api/links', { to: b.uri, profile: c.profile });
      expect(r.status).toBe(201);
      id = r.body.id;
    } else {
      // acip answers a caller found in the phonebook with the entry's profile.
      const pb = await acip.api('POST', '/api/phonebook', { name: `baresip ${c.name} ${b.sipPort}`, uri: b.uri, profile: c.profile, probe: false });
      expect(pb.status).toBe(201);
      const before = new Set(((await acip.api('GET', '/api/links')).body.links as { id: string }[]).map((l) => l.id));
      await b.command(`/dial sip:acip@127.0.0.1:${acip.sipPort}`);
      const link = await waitFor(async () => {
        const links = (await acip.api('GET', '/api/links')).body.links as { id: string; remote: string; direction: string }[];
        return links.find((l) => !before.has(l.id) && l.direction === 'inbound' && l.remote.includes(`:${b.sipPort}`));
      }, 8000);
      expect(link, 'baresip\'s call reached acip').toBeTruthy();
      id = link!.id;
    }
    const connected = await waitForLinkState(acip, id, 'connected', 8000);
    expect(connected.state).toBe('connected');
    await sleep(HOLD_MS);
    const snap = (await acip.api('GET', `/api/links/${id}`)).body;
    expect((await acip.api('DELETE', `/api/links/${id}`)).status).toBe(200);
    const ended = await waitForLinkState(acip, id, 'ended', 8000);
    expect(ended.state).toBe('ended');
    // baresip closes its dump when the call ends.
    await waitFor(() => /terminated/.test(b.proc.output), 3000);
    const rec = join(acip.recDir, `acip-${id}.wav`);
    return { snap, rec, dumps: await closedDecDumps(b.sndDir) };
  }

  for (const c of CASES) {
    it(`${c.name}: both directions, each recording holds the other side's signal`, async () => {
      const out = await startBaresip({ codecs: [c.baresipCodec] });
      const inn = await startBaresip({ codecs: [c.baresipCodec] });
      try {
        const results = await Promise.all([call(c, 'outbound', out), call(c, 'inbound', inn)]);
        for (const [i, r] of results.entries()) {
          const dir = i === 0 ? 'acip → baresip' : 'baresip → acip';
          expect(r.snap.codec?.name, dir).toBe(c.encodingName);
          expect(r.snap.rx.packets, dir).toBeGreaterThan(0);
          // acip's tone in baresip's recording: 1 kHz ±5 Hz at −18 dBFS ±1 dB (peak of the sine).
          expect(r.dumps.length, `${dir}: baresip wrote one -dec.wav dump`).toBe(1);
          const dump = readWavFile(r.dumps[0]!);
          expect([dump.sampleRate, dump.channels], dir).toEqual([c.dumpRate, c.dumpChannels]);
          const atBaresip = measureTone(dump, 1000, 1.0, 1.5);
          for (let ch = 0; ch < dump.channels; ch++) {
            expect(Math.abs(atBaresip.frequencyHz[ch]! - 1000), `${dir} ch${ch} ${JSON.stringify(atBaresip)}`).toBeLessThanOrEqual(5);
            expect(Math.abs(atBaresip.peakEquivDbfs[ch]! - -18), `${dir} ch${ch} ${JSON.stringify(atBaresip)}`).toBeLessThanOrEqual(1);
          }
          // baresip's 440 Hz −12 dBFS file in acip's recording (written at the codec's rate and channels).
          const rec = readWavFile(r.rec);
          const atAcip = measureTone(rec, SOURCE_TONE.hz, 1.0, 1.5);
          const f = dominantFrequency(rec, 1.0, 1.5, 300, 600);
          console.log(`${c.name} ${dir}: baresip got ${JSON.stringify(atBaresip)}; acip got ${JSON.stringify({ ...atAcip, dominantHz: f })}; rx ${JSON.stringify(r.snap.rx)}`);
          for (let ch = 0; ch < rec.channels; ch++) {
            expect(Math.abs(atAcip.peakEquivDbfs[ch]! - SOURCE_TONE.peakDbfs), `${dir} ch${ch} ${JSON.stringify(atAcip)}`).toBeLessThanOrEqual(1.5);
          }
          // The 440 Hz tone dominates (± 2 %: L16 from baresip is stretched/concealed a little, see header).
          expect(Math.abs(f - SOURCE_TONE.hz) / SOURCE_TONE.hz, `${dir}: dominant ${f} Hz`).toBeLessThanOrEqual(0.02);
        }
        expect(readdirSync(acip.recDir).length).toBeGreaterThanOrEqual(2);
      } finally {
        await Promise.all([out.stop(), inn.stop()]);
      }
    }, 45_000);
  }
});
