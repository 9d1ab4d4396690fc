/**
 * Caller authentication against a real baresip (Debian 1.0): acip challenges the INVITE (RFC 3261
 * §22, one challenge per algorithm), baresip answers with the account's `auth_pass`, the call is
 * answered and baresip's tone arrives in acip's recording. With the wrong password baresip's call is
 * refused and acip creates no link.
 *
 * baresip 1.0 (libre) aborts on any challenge whose algorithm is not MD5 instead of skipping it as
 * RFC 8760 §2.4 asks, so it can only call a UAS that offers MD5 alone: `algorithms: [MD5]` here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { SOURCE_TONE, startBaresip } from '../../helpers/baresip.js';
import { measureTone, readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from '../links/harness.js';
import { dominantFrequency } from '../links/measure.js';
import { metricValue } from './probe.js';

const HAVE_BARESIP = requireProgram('baresip');
const PASSWORD = 'studio-secret-1';
const HOLD_MS = 4000;

type LinkRow = { id: string; remote: string; direction: string; state: string };

describe.runIf(HAVE_BARESIP)('digest authentication of inbound calls with baresip', () => {
  let acip: LtAcip;
  beforeAll(async () => {
    acip = await startLtAcip({ config: `links:\n  inboundAuth:\n    users: [{ user: studio, password: ${PASSWORD} }]\n    algorithms: [MD5]\n` });
  }, 120_000);
  afterAll(async () => {
    await acip?.close();
  });

  const inboundFrom = async (port: number) =>
    ((await acip.api('GET', '/api/links')).body.links as LinkRow[]).find((l) => l.direction === 'inbound' && l.remote.includes(`:${port}`));

  it('answers a caller with the right password, and its audio arrives', async () => {
    const b = await startBaresip({ codecs: ['PCMA/8000/1'], extraAccountParams: `;auth_pass=${PASSWORD}` });
    try {
      await b.command(`/dial sip:acip@127.0.0.1:${acip.sipPort}`);
      const link = await waitFor(() => inboundFrom(b.sipPort), 8000);
      expect(link, `baresip's call reached acip: ${b.proc.output.slice(-800)}`).toBeTruthy();
      await waitForLinkState(acip, link!.id, 'connected', 8000);
      await sleep(HOLD_MS);
      await acip.api('DELETE', `/api/links/${link!.id}`);
      await waitForLinkState(acip, link!.id, 'ended', 8000);
      const rec = readWavFile(join(acip.recDir, `acip-${link!.id}.wav`));
      // baresip's 440 Hz −12 dBFS tone, measured once the jitter buffer has settled.
      const tone = measureTone(rec, SOURCE_TONE.hz, 1.5, 2.0);
      const f = dominantFrequency(rec, 1.5, 2.0, 300, 600);
      expect(Math.abs(f - SOURCE_TONE.hz) / SOURCE_TONE.hz, `dominant ${f} Hz`).toBeLessThanOrEqual(0.02);
      for (let ch = 0; ch < rec.channels; ch++) {
        expect(Math.abs(tone.peakEquivDbfs[ch]! - SOURCE_TONE.peakDbfs), JSON.stringify(tone)).toBeLessThanOrEqual(1.5);
      }
      const text = await (await fetch(`${acip.httpUrl}/metrics`)).text();
      expect(metricValue(text, 'acip_sip_rejected_total{reason="auth_required"}')).toBeGreaterThanOrEqual(1);
    } finally {
      await b.stop();
    }
  }, 45_000);

  it('refuses a caller with the wrong password and creates no link', async () => {
    const b = await startBaresip({ codecs: ['PCMA/8000/1'], extraAccountParams: ';auth_pass=not-the-password' });
    try {
      const before = metricValue(await (await fetch(`${acip.httpUrl}/metrics`)).text(), 'acip_sip_rejected_total{reason="auth_failed"}');
      await b.command(`/dial sip:acip@127.0.0.1:${acip.sipPort}`);
      const refused = await b.proc.waitForOutput(/40[13]|Forbidden|Unauthorized/, 8000);
      expect(refused, b.proc.output.slice(-800)).toBe(true);
      await waitFor(async () => metricValue(await (await fetch(`${acip.httpUrl}/metrics`)).text(), 'acip_sip_rejected_total{reason="auth_failed"}') > before, 5000);
      expect(await inboundFrom(b.sipPort)).toBeUndefined();
    } finally {
      await b.stop();
    }
  }, 120_000);
});
