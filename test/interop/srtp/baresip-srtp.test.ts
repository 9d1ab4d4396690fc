/**
 * SRTP keyed by SDES over SIP over TLS, with baresip 1.0 (`module srtp.so`, account
 * `;mediaenc=srtp-mand`) both ways against the acip service whose profile makes SRTP mandatory.
 * Each recording must hold the other side's tone at its level: acip's 1 kHz −18 dBFS in baresip's
 * decoded dump, baresip's 440 Hz −12 dBFS file in acip's recording. The link reports signalling TLS,
 * media SRTP, encrypted; no packet failed authentication; /metrics lists the link's drop counters.
 * Once more with the media in a worker thread (the keys travel in the session parameters), and with
 * a profile saying `srtp: optional`: SRTP with a best-effort baresip (`;mediaenc=srtp`, RTP/AVP with
 * a=crypto), clear RTP with the reason shown when baresip has no SRTP.
 *
 * baresip listens for TLS on its `sip_listen` port + 1 and trusts the per-run test CA (`sip_cafile`);
 * acip verifies baresip's certificate against the same CA.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/require-program.js';
import { SOURCE_TONE, startConsoleBaresip, type ConsoleBaresip, closedDecDumps } from '../../helpers/baresip.js';
import { makeTestCerts, type TestCerts } from '../../helpers/certs.js';
import { measureTone, readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from '../links/harness.js';

const has = requireProgram('baresip') && requireProgram('openssl') && requireProgram('sox');

const OPTIONAL = 'name: lt-srtp-optional\ntitle: PCMA, SRTP if the peer can\ncodecs: [{ codec: PCMA }]\nptimeMs: 20\njitterBuffer: { mode: adaptive, minMs: 20, maxMs: 120 }\nsrtp: optional\n';
const PROFILE = 'name: lt-srtp\ntitle: PCMA over SRTP\ncodecs: [{ codec: PCMA }]\nptimeMs: 20\njitterBuffer: { mode: adaptive, minMs: 20, maxMs: 120 }\nsrtp: mandatory\n';
const HOLD_MS = 3500;

let certs: TestCerts;

interface SrtpAcip {
  acip: LtAcip;
  tlsPort: number;
}

async function startSrtpAcip(extraArgs: string[] = []): Promise<SrtpAcip> {
  const acip = await startLtAcip({
    profiles: { 'lt-srtp.yaml': PROFILE, 'lt-srtp-optional.yaml': OPTIONAL },
    config: 'defaultProfile: lt-srtp\n',
    args: ['--sip-tls-cert', certs.server.certFile, '--sip-tls-key', certs.server.keyFile, '--sip-tls-ca', certs.ca.certFile, '--sip-tls-port', '0', ...extraArgs],
  });
  const line = acip.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('listening: SIP over TLS'));
  return { acip, tlsPort: Number(/:(\d+)$/.exec(String(line?.msg ?? ''))?.[1] ?? 0) };
}

/** baresip with `mediaenc` (srtp-mand: RTP/SAVP only; srtp: best effort, RTP/AVP with a=crypto; none: clear RTP). */
async function startSrtpBaresip(mediaenc: 'srtp-mand' | 'srtp' | 'none' = 'srtp-mand'): Promise<ConsoleBaresip & { tlsUri: string }> {
  // baresip listens for TLS on its SIP port + 1.
  const tlsUri = (port: number) => `sip:studio@127.0.0.1:${port + 1};transport=tls`;
  const b = await startConsoleBaresip({
    tag: 'srtp',
    modules: ['srtp'],
    settings: [`sip_certificate ${certs.server.combinedFile}`, `sip_cafile ${certs.ca.certFile}`],
    account: (port) => `"SRTP studio" <${tlsUri(port)}>;regint=0;answermode=auto;audio_codecs=PCMA/8000/1${mediaenc === 'none' ? '' : `;mediaenc=${mediaenc}`}`,
  });
  return Object.assign(b, { tlsUri: tlsUri(b.sipPort) });
}

beforeAll(() => {
  if (has) certs = makeTestCerts();
});
afterAll(() => certs?.remove());

async function oneCall({ acip, tlsPort: acipTlsPort }: SrtpAcip, direction: 'outbound' | 'inbound', b: ConsoleBaresip & { tlsUri: string }, profile = 'lt-srtp') {
  let id: string;
  if (direction === 'outbound') {
    const r = await acip.api('POST', '/api/links', { to: b.tlsUri, profile });
    expect(r.status).toBe(201);
    id = r.body.id;
  } else {
    const before = new Set(((await acip.api('GET', '/api/links')).body.links as { id: string }[]).map((l) => l.id));
    // baresip adds the account's transport=tls itself.
    await b.command(`/dial sip:acip@127.0.0.1:${acipTlsPort}`);
    const link = await waitFor(async () => {
      const links = (await acip.api('GET', '/api/links')).body.links as { id: string; direction: string }[];
      return links.find((l) => !before.has(l.id) && l.direction === 'inbound');
    }, 10_000);
    expect(link, `baresip's call reached acip: ${b.proc.output.slice(-3000)} acip: ${acip.logs.slice(-15).map((l) => JSON.stringify(l)).join('\n')}`).toBeTruthy();
    id = link!.id;
  }
  const connected = await waitForLinkState(acip, id, 'connected', 10_000);
  expect(connected.state, `${direction}: ${JSON.stringify(connected.endReason)} ${b.proc.output.slice(-1500)}`).toBe('connected');
  await sleep(HOLD_MS);
  const snap = (await acip.api('GET', `/api/links/${id}`)).body;
  const metrics = await acip.api('GET', '/metrics');
  expect((await acip.api('DELETE', `/api/links/${id}`)).status).toBe(200);
  await waitForLinkState(acip, id, 'ended', 8000);
  await waitFor(() => /terminated|session closed/i.test(b.proc.output), 3000);
  const dumps = await closedDecDumps(b.sndDir);
  return { id, snap, metrics: String(metrics.body), rec: join(acip.recDir, `acip-${id}.wav`), dumps };
}

/** One call and every check on it. */
async function callAndCheck(a: SrtpAcip, direction: 'outbound' | 'inbound'): Promise<void> {
  const b = await startSrtpBaresip();
  try {
    const r = await oneCall(a, direction, b);
    const why = `${JSON.stringify(r.snap.security)} ${JSON.stringify(r.snap.rx)} baresip: ${b.proc.output.slice(-1500)}`;
    expect(r.snap.security, why).toMatchObject({ signalling: 'tls', media: 'srtp', encrypted: true, reason: '' });
    expect(r.snap.security.suite, why).toMatch(/^AES_CM_128_HMAC_SHA1_(80|32)$|^AEAD_AES_128_GCM$/);
    expect(r.snap.security.dropped.rtp.SRTP_AUTH_FAIL, why).toBe(0);
    expect(r.snap.security.dropped.rtp.SRTP_REPLAY, why).toBe(0);
    expect(r.snap.rx.packets, why).toBeGreaterThan(100);
    // Every drop reason is a series of the link in /metrics, at 0 for authentication failures.
    expect(r.metrics).toContain(`acip_srtp_dropped_total{link="${r.id}",kind="rtp",reason="SRTP_AUTH_FAIL"} 0`);
    expect(r.metrics).toContain(`acip_srtp_dropped_total{link="${r.id}",kind="rtcp",reason="SRTP_REPLAY"} 0`);
    // The keys never show: the SDP bodies in the snapshot are redacted.
    expect(`${r.snap.localSdp}${r.snap.remoteSdp}`).not.toMatch(/inline:(?!\(redacted\))/);
    // acip's tone in baresip's decoded dump (PCMA: 8 kHz mono).
    expect(r.dumps.length, why).toBe(1);
    const atBaresip = measureTone(readWavFile(r.dumps[0]!), 1000, 1.0, 1.5);
    expect(Math.abs(atBaresip.frequencyHz[0]! - 1000), JSON.stringify(atBaresip)).toBeLessThanOrEqual(5);
    expect(Math.abs(atBaresip.peakEquivDbfs[0]! - -18), JSON.stringify(atBaresip)).toBeLessThanOrEqual(1);
    // baresip's 440 Hz −12 dBFS in acip's recording.
    const atAcip = measureTone(readWavFile(r.rec), SOURCE_TONE.hz, 1.0, 1.5);
    expect(Math.abs(atAcip.frequencyHz[0]! - SOURCE_TONE.hz), JSON.stringify(atAcip)).toBeLessThanOrEqual(5);
    expect(Math.abs(atAcip.peakEquivDbfs[0]! - SOURCE_TONE.peakDbfs), JSON.stringify(atAcip)).toBeLessThanOrEqual(1.5);
  } finally {
    await b.stop();
  }
}

describe.skipIf(!has)('SRTP over TLS between acip and baresip', () => {
  let a: SrtpAcip;
  beforeAll(async () => {
    a = await startSrtpAcip();
  }, 60_000);
  afterAll(async () => {
    await a?.acip.close();
  });
  it("acip calls baresip: the media is SRTP and both recordings hold the other side's tone", () => callAndCheck(a, 'outbound'), 60_000);
  it("baresip calls acip: the media is SRTP and both recordings hold the other side's tone", () => callAndCheck(a, 'inbound'), 60_000);
});

describe.skipIf(!has)('SRTP over TLS with the media in a worker thread', () => {
  let a: SrtpAcip;
  beforeAll(async () => {
    a = await startSrtpAcip(['--media-workers', '1']);
  }, 60_000);
  afterAll(async () => {
    await a?.acip.close();
  });
  // The keys travel to the worker inside the session parameters.
  it("baresip calls acip whose media runs in a worker: SRTP both ways, both recordings hold the tone", { timeout: 60_000 }, () => callAndCheck(a, 'inbound'));
});

describe.skipIf(!has)('best-effort SRTP (profile srtp: optional) towards baresip', () => {
  let a: SrtpAcip;
  beforeAll(async () => {
    a = await startSrtpAcip();
  }, 60_000);
  afterAll(async () => {
    await a?.acip.close();
  });

  it('runs SRTP with a best-effort baresip (RTP/AVP with a=crypto both ways)', async () => {
    const b = await startSrtpBaresip('srtp');
    try {
      const r = await oneCall(a, 'outbound', b, 'lt-srtp-optional');
      expect(r.snap.localSdp).toMatch(/^m=audio \d+ RTP\/AVP /m);
      expect(r.snap.security, JSON.stringify(r.snap.security)).toMatchObject({ signalling: 'tls', media: 'srtp', encrypted: true });
      expect(r.snap.rx.packets).toBeGreaterThan(100);
      const atAcip = measureTone(readWavFile(r.rec), SOURCE_TONE.hz, 1.0, 1.5);
      expect(Math.abs(atAcip.frequencyHz[0]! - SOURCE_TONE.hz), JSON.stringify(atAcip)).toBeLessThanOrEqual(5);
    } finally {
      await b.stop();
    }
  }, 60_000);

  it('falls back to clear RTP with a baresip that has no SRTP, and says why', async () => {
    const b = await startSrtpBaresip('none');
    try {
      const r = await oneCall(a, 'outbound', b, 'lt-srtp-optional');
      expect(r.snap.security).toEqual({ signalling: 'tls', media: 'rtp', encrypted: false, reason: 'media not encrypted: the peer answered without a=crypto' });
      const atAcip = measureTone(readWavFile(r.rec), SOURCE_TONE.hz, 1.0, 1.5);
      expect(Math.abs(atAcip.frequencyHz[0]! - SOURCE_TONE.hz), JSON.stringify(atAcip)).toBeLessThanOrEqual(5);
    } finally {
      await b.stop();
    }
  }, 60_000);
});
