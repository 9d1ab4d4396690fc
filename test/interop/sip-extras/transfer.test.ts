/**
 * Call transfer (REFER, RFC 3515) between the real service and two real baresips (Debian 1.0):
 *  - a studio hands its link over: baresip B1, on a link with acip, sends `/transfer` to B2; acip
 *    answers 202, dials B2 with the link's profile, NOTIFYs the progress, hangs up the link to B1
 *    once B2 answers, and B2's tone arrives on the new link;
 *  - the API hands a link over: POST /api/links/:id/transfer sends B1 a REFER naming B2; B1
 *    accepts (202) and calls B2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { SOURCE_TONE, startBaresip, type BaresipPeer } from '../../helpers/baresip.js';
import { measureTone, readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from '../links/harness.js';

const HAVE_BARESIP = requireProgram('baresip');
const PCMA = ['PCMA/8000/1'];

type LinkRow = { id: string; remote: string; direction: string; state: string };

describe.runIf(HAVE_BARESIP)('call transfer with baresip', () => {
  let acip: LtAcip;
  let b1: BaresipPeer;
  let b2: BaresipPeer;
  beforeAll(async () => {
    acip = await startLtAcip();
  }, 120_000);
  afterAll(async () => {
    await acip?.close();
  });

  const linkTo = async (port: number, states: string[]) =>
    ((await acip.api('GET', '/api/links')).body.links as LinkRow[]).find((l) => l.remote.includes(`:${port}`) && states.includes(l.state));

  it('follows a REFER from the far end: dials the target, hangs up the old link, and the new link carries audio', async () => {
    b1 = await startBaresip({ codecs: PCMA });
    b2 = await startBaresip({ codecs: PCMA });
    try {
      const dial = await acip.api('POST', '/api/links', { to: b1.uri });
      expect(dial.status, JSON.stringify(dial.body)).toBe(201);
      const oldId = dial.body.id as string;
      await waitForLinkState(acip, oldId, 'connected', 10_000);
      await b1.command(`/transfer ${b2.uri}`);
      const next = await waitFor(() => linkTo(b2.sipPort, ['connected']), 15_000);
      expect(next, `${b1.proc.output.slice(-1500)}\n${JSON.stringify((await acip.api('GET', '/api/links')).body)}`).toBeTruthy();
      await waitForLinkState(acip, oldId, ['ended', 'failed'], 10_000);
      await sleep(3500);
      await acip.api('DELETE', `/api/links/${next!.id}`);
      await waitForLinkState(acip, next!.id, ['ended', 'failed'], 8000);
      const tone = measureTone(readWavFile(join(acip.recDir, `acip-${next!.id}.wav`)), SOURCE_TONE.hz, 1.5, 1.5);
      for (let ch = 0; ch < tone.channels; ch++) expect(Math.abs(tone.peakEquivDbfs[ch]! - SOURCE_TONE.peakDbfs), JSON.stringify(tone)).toBeLessThanOrEqual(1.5);
    } finally {
      await b1.stop();
      await b2.stop();
    }
  }, 90_000);

  it('hands a link over from the API: the far end accepts the REFER and calls the target', async () => {
    b1 = await startBaresip({ codecs: PCMA });
    b2 = await startBaresip({ codecs: PCMA });
    try {
      const dial = await acip.api('POST', '/api/links', { to: b1.uri });
      const id = dial.body.id as string;
      await waitForLinkState(acip, id, 'connected', 10_000);
      const res = await acip.api('POST', `/api/links/${id}/transfer`, { to: b2.uri });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ accepted: true, status: 202, target: b2.uri });
      // B1 places the referred call: B2 answers it and records what B1 sends.
      const dumps = await waitFor(() => (b2.decDumps().length > 0 ? b2.decDumps() : undefined), 15_000);
      expect(dumps, b1.proc.output.slice(-1500)).toBeTruthy();
      await acip.api('DELETE', `/api/links/${id}`);
    } finally {
      await b1.stop();
      await b2.stop();
    }
  }, 90_000);

  it('refuses to transfer a link that does not exist, naming the field', async () => {
    const res = await acip.api('POST', '/api/links/nosuch/transfer', { to: 'sip:a@127.0.0.1' });
    expect(res.status).toBe(404);
    expect(res.body.field).toBe('id');
  });
});
