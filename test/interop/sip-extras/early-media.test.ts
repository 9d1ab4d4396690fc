/**
 * Early media (RFC 3960 §3 gateway model) between the real service and sipp as UAS on loopback UDP.
 * acip dials over the API with a G.711 profile; `early-media-uas.xml` answers with 183 Session
 * Progress carrying a PCMA answer and streams a 1 kHz A-law tone while acip rings, then 200 OK with
 * the same SDP, then BYE. The link must show received packets while still `ringing`, and its
 * recording's first second must hold the tone at its level. `early-media-uas-busy.xml` sends the
 * 183 and its tone, then 486: the link fails and its media session is closed.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { sippSuite } from '../../helpers/sipp-scenario.js';
import { measureTone, readWavFile, sleep, waitFor, waitForLinkState } from '../links/harness.js';

const HAVE_SIPP = requireProgram('sipp');
const HAVE_SOX = requireProgram('sox');
const TONE = { hz: 1000, peakDbfs: -12 } as const;

type LinkRow = { id: string; state: string; mediaDirection: string | null; rx: { packets: number } | null; meters: unknown; endReason: { sipStatus?: number; reason: string } | null };

describe.runIf(HAVE_SIPP && HAVE_SOX)('early media from sipp as UAS (183 Session Progress with SDP)', () => {
  // sipp's rtp_stream plays tone.al from the suite's working folder.
  const suite = sippSuite({ tone: TONE });

  /** Start sipp with `scenario` (media on a free port), then dial it from the API with a G.711 profile. */
  const dialSipp = (scenario: string) => suite.dial({ scenario, media: true, timeoutS: 30 }, { profile: 'g711-telephone' });

  /** Poll the link until a snapshot shows it ringing with packets received (bounded). */
  async function ringingWithMedia(id: string): Promise<LinkRow | undefined> {
    return waitFor(async () => {
      const l = (await suite.acip.api('GET', `/api/links/${id}`)).body as LinkRow;
      return l.state === 'ringing' && (l.rx?.packets ?? 0) > 0 ? l : undefined;
    }, 5000, 50);
  }

  it('plays the early tone while ringing, then continues the same session after the 200 OK', async () => {
    const { acip } = suite;
    const { sipp, id } = await dialSipp('early-media-uas.xml');
    const early = await ringingWithMedia(id);
    expect(early, sipp.trace()).toBeTruthy();
    expect(early!.mediaDirection).toBe('sendrecv');
    await waitForLinkState(acip, id, 'connected', 5000);
    expect(await sipp.exit(15_000), sipp.trace()).toBe(0);
    const ended = await waitForLinkState(acip, id, 'ended', 5000);
    expect(ended.endReason?.by, JSON.stringify(ended.endReason)).toBe('remote');
    await sleep(300);
    // The first second of the recording is early media: the 200 OK came 2 s after the 183.
    const tone = measureTone(readWavFile(join(acip.recDir, `acip-${id}.wav`)), TONE.hz, 0.25, 1);
    for (let ch = 0; ch < tone.channels; ch++) {
      expect(Math.abs(tone.peakEquivDbfs[ch]! - TONE.peakDbfs), JSON.stringify(tone)).toBeLessThanOrEqual(1.5);
      expect(Math.abs(tone.frequencyHz[ch]! - TONE.hz), JSON.stringify(tone)).toBeLessThanOrEqual(20);
    }
  }, 60_000);

  it('fails the link and closes its early media session when a 486 follows the 183', async () => {
    const { sipp, id } = await dialSipp('early-media-uas-busy.xml');
    const early = await ringingWithMedia(id);
    expect(early, sipp.trace()).toBeTruthy();
    expect(early!.mediaDirection).toBe('sendrecv');
    const ended = (await waitForLinkState(suite.acip, id, 'ended', 8000)) as LinkRow;
    expect(ended.endReason, JSON.stringify(ended)).toMatchObject({ by: 'remote', sipStatus: 486 });
    // No media session stays open: no receive statistics and no meters any more.
    expect(ended.rx).toBeNull();
    expect(ended.meters).toBeNull();
    expect(await sipp.exit(10_000), sipp.trace()).toBe(0);
  }, 60_000);
});
