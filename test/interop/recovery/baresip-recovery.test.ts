/**
 * Loss recovery degrades cleanly against a plain SIP peer: baresip 1.0 knows neither RED
 * (RFC 2198), RTX (RFC 4588) nor a=rtcp-fb (RFC 4585). acip's profile asks for RED and NACK/RTX, so
 * its offer lists red/8000/1 and rtx/8000 formats and a=rtcp-fb:8 nack on an RTP/AVP m-line;
 * baresip answers PCMA alone, and the link then runs plain RTP: nothing in force (no `recovery` in
 * the snapshot), every packet baresip receives is PCMA, and the tone arrives at its level both
 * ways. The other way round, baresip's plain offer gets a plain answer.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/require-program.js';
import { SOURCE_TONE, startConsoleBaresip, type ConsoleBaresip, closedDecDumps } from '../../helpers/baresip.js';
import { measureTone, readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from '../links/harness.js';

const has = requireProgram('baresip') && requireProgram('sox');

const PROFILE =
  'name: lt-recovery\ntitle: PCMA with RED and NACK/RTX offered\ncodecs: [{ codec: PCMA }]\nptimeMs: 20\n' +
  'jitterBuffer: { mode: adaptive, minMs: 20, maxMs: 120 }\nredundancy: { red: { depth: 1, distance: 1 }, rtx: true }\n';
const HOLD_MS = 3500;

/** Plain baresip (PCMA, no recovery extensions) at `uri`. */
async function startBaresip(): Promise<ConsoleBaresip & { uri: string }> {
  const b = await startConsoleBaresip({
    tag: 'recovery',
    account: (port) => `"Plain studio" <sip:studio@127.0.0.1:${port}>;regint=0;answermode=auto;audio_codecs=PCMA/8000/1`,
  });
  return Object.assign(b, { uri: `sip:studio@127.0.0.1:${b.sipPort}` });
}

async function callAndCheck(acip: LtAcip, direction: 'outbound' | 'inbound'): Promise<void> {
  const b = await startBaresip();
  try {
    let id: string;
    if (direction === 'outbound') {
      const r = await acip.api('POST', '/api/links', { to: b.uri, profile: 'lt-recovery' });
      expect(r.status).toBe(201);
      id = r.body.id;
    } else {
      const before = new Set(((await acip.api('GET', '/api/links')).body.links as { id: string }[]).map((l) => l.id));
      await b.command(`/dial sip:acip@127.0.0.1:${acip.sipPort}`);
      const link = await waitFor(async () => {
        const links = (await acip.api('GET', '/api/links')).body.links as { id: string; direction: string }[];
        return links.find((l) => !before.has(l.id) && l.direction === 'inbound');
      }, 10_000);
      expect(link, b.proc.output.slice(-2000)).toBeTruthy();
      id = link!.id;
    }
    const connected = await waitForLinkState(acip, id, 'connected', 10_000);
    expect(connected.state, `${JSON.stringify(connected.endReason)} ${b.proc.output.slice(-1500)}`).toBe('connected');
    await sleep(HOLD_MS);
    const snap = (await acip.api('GET', `/api/links/${id}`)).body;
    expect((await acip.api('DELETE', `/api/links/${id}`)).status).toBe(200);
    await waitForLinkState(acip, id, 'ended', 8000);
    await waitFor(() => /terminated|session closed/i.test(b.proc.output), 3000);
    const why = `${snap.localSdp}\n${snap.remoteSdp}\n${JSON.stringify(snap.rx)}`;
    if (direction === 'outbound') {
      // Our offer asked for RED and NACK/RTX on RTP/AVP (a plain peer would refuse RTP/AVPF).
      expect(snap.localSdp, why).toMatch(/^m=audio \d+ RTP\/AVP 8 \d+ \d+/m);
      expect(snap.localSdp, why).toMatch(/^a=rtpmap:\d+ red\/8000\/1\r?$/m);
      expect(snap.localSdp, why).toMatch(/^a=rtpmap:\d+ rtx\/8000\r?$/m);
      expect(snap.localSdp, why).toMatch(/^a=rtcp-fb:8 nack\r?$/m);
    } else {
      expect(snap.localSdp, why).not.toMatch(/red\/|rtx\/|rtcp-fb/);
    }
    // The peer listed none of it: nothing in force, plain RTP both ways.
    expect(snap.remoteSdp, why).not.toMatch(/red\/|rtx\/|rtcp-fb/);
    expect(snap.recovery, why).toBeUndefined();
    expect(snap.rx.packets, why).toBeGreaterThan(100);
    // acip's tone in baresip's decoded dump: baresip decoded every packet as PCMA.
    const dumps = await closedDecDumps(b.sndDir);
    expect(dumps.length, why).toBe(1);
    const atBaresip = measureTone(readWavFile(dumps[0]!), 1000, 1.0, 1.5);
    expect(Math.abs(atBaresip.frequencyHz[0]! - 1000), JSON.stringify(atBaresip)).toBeLessThanOrEqual(5);
    expect(Math.abs(atBaresip.peakEquivDbfs[0]! - -18), JSON.stringify(atBaresip)).toBeLessThanOrEqual(1);
    const atAcip = measureTone(readWavFile(join(acip.recDir, `acip-${id}.wav`)), SOURCE_TONE.hz, 1.0, 1.5);
    expect(Math.abs(atAcip.frequencyHz[0]! - SOURCE_TONE.hz), JSON.stringify(atAcip)).toBeLessThanOrEqual(5);
    expect(Math.abs(atAcip.peakEquivDbfs[0]! - SOURCE_TONE.peakDbfs), JSON.stringify(atAcip)).toBeLessThanOrEqual(1.5);
    // baresip never complained about a payload type it does not know (it was never sent RED or RTX).
    expect(b.proc.output, why).not.toMatch(/unknown payload type|no codec for pt/i);
  } finally {
    await b.stop();
  }
}

describe.skipIf(!has)('RED and NACK/RTX offered to baresip, which knows neither', () => {
  let acip: LtAcip;
  beforeAll(async () => {
    acip = await startLtAcip({ profiles: { 'lt-recovery.yaml': PROFILE }, config: 'defaultProfile: lt-recovery\n' });
  }, 60_000);
  afterAll(async () => {
    await acip?.close();
  });
  it("acip calls baresip: plain PCMA is used and both recordings hold the other side's tone", () => callAndCheck(acip, 'outbound'), 60_000);
  it("baresip calls acip: the answer is plain and both recordings hold the other side's tone", () => callAndCheck(acip, 'inbound'), 60_000);
});
