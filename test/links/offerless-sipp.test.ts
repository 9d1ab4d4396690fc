/**
 * INVITE and re-INVITE without an offer against the real service (RFC 3261 §13.2.1, RFC 3264 §4,
 * §8). sipp (test/fixtures/sipp/offerless-*) takes our offer from the 2xx and answers in the ACK
 * with the offer's first codec at a port this test listens on; the link must report itself
 * connected with that codec through /api/links, and its media session must send RTP there.
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireProgram } from '../helpers/require-program.js';
import { freePort, readSippStats, runProgram } from '../helpers/sip-peer-process.js';
import { startLtAcip, waitFor, type LtAcip } from '../interop/links/harness.js';

const hasSipp = requireProgram('sipp');
const scenario = (name: string) => fileURLToPath(new URL(`../fixtures/sipp/${name}.xml`, import.meta.url));
/** How long sipp holds each call after its answer (sipp -d), ms: time to see the media flowing. */
const HOLD_MS = 4000;

/** A UDP socket standing in for the peer's RTP port: counts RTP packets, by the port they came from. */
async function rtpSink(): Promise<{ port: number; from: Map<number, number>; payloadTypes: Set<number>; close: () => void }> {
  const sock = dgram.createSocket('udp4');
  const from = new Map<number, number>();
  const payloadTypes = new Set<number>();
  sock.on('message', (msg, rinfo) => {
    if (msg.length < 12 || msg[0]! >> 6 !== 2) return;
    from.set(rinfo.port, (from.get(rinfo.port) ?? 0) + 1);
    payloadTypes.add(msg[1]! & 0x7f);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return { port: sock.address().port, from, payloadTypes, close: () => sock.close() };
}

/** The audio port and first payload type of an SDP's m= line. */
function mLine(sdp: string | null | undefined): { port: number; pt: number } | undefined {
  const m = /^m=audio (\d+) RTP\/AVP (\d+)/m.exec(sdp ?? '');
  return m ? { port: Number(m[1]), pt: Number(m[2]) } : undefined;
}

describe.skipIf(!hasSipp)('offerless INVITEs from sipp to the real service', () => {
  let acip: LtAcip;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acip-offerless-'));
    acip = await startLtAcip();
  }, 30_000);
  afterAll(async () => {
    await acip?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function runSipp(name: string, answerPort: number) {
    const stf = join(dir, `${name}.csv`);
    const run = runProgram(
      'sipp',
      ['-sf', scenario(name), `127.0.0.1:${acip.sipPort}`, '-s', 'acip', '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await freePort()),
        '-m', '1', '-d', String(HOLD_MS), '-key', 'answer_port', String(answerPort), '-nostdin', '-trace_stat', '-stf', stf, '-trace_err',
        '-error_file', join(dir, `${name}-errors.log`), '-timeout', '30s'],
      40_000,
      dir,
    );
    return { run, stats: () => readSippStats(stf) };
  }

  /** The newest inbound link that is connected with `codec`, polled through the API. */
  async function connectedWith(codec: string, exceptIds: string[]): Promise<any> {
    return waitFor(async () => {
      const links = (await acip.api('GET', '/api/links')).body.links as any[];
      return links.find((l) => l.direction === 'inbound' && !exceptIds.includes(l.id) && l.state === 'connected' && l.codec?.name === codec);
    }, HOLD_MS - 1000);
  }

  const inboundIds = async () => ((await acip.api('GET', '/api/links')).body.links as any[]).filter((l) => l.direction === 'inbound').map((l) => l.id as string);

  it('answers an INVITE without SDP with our offer, connects on the answer in the ACK and sends RTP where it points', async () => {
    const sink = await rtpSink();
    try {
      const before = await inboundIds();
      const { run, stats } = await runSipp('offerless-uac', sink.port);
      // Our offer lists opus first (ebu-3326-interop); sipp answers with the first codec.
      const link = await connectedWith('opus', before);
      expect(link).toMatchObject({ state: 'connected', codec: { name: 'opus' } });
      const ours = mLine(link.localSdp)!;
      const answer = mLine(link.remoteSdp)!;
      expect(answer).toEqual({ port: sink.port, pt: ours.pt });
      await waitFor(() => (sink.from.get(ours.port) ?? 0) >= 25, 2000);
      // Symmetric RTP from the port we offered, with the payload type of the answer.
      expect(sink.from.get(ours.port) ?? 0).toBeGreaterThanOrEqual(25);
      expect([...sink.payloadTypes]).toEqual([ours.pt]);
      const r = await run;
      expect(r.timedOut).toBe(false);
      expect(stats().get('SuccessfulCall(C)')).toBe('1');
      expect(r.code).toBe(0);
      const ended = await waitFor(async () => ((await acip.api('GET', `/api/links/${link.id}`)).body.state === 'ended' ? true : undefined), 3000);
      expect(ended).toBe(true);
    } finally {
      sink.close();
    }
  }, 60_000);

  it('hangs up with BYE when the ACK carries no answer, and says why', async () => {
    const before = await inboundIds();
    const { run, stats } = await runSipp('offerless-uac-no-answer', 9);
    const r = await run;
    expect(r.timedOut).toBe(false);
    // The scenario only succeeds when our BYE arrived.
    expect(stats().get('SuccessfulCall(C)')).toBe('1');
    expect(r.code).toBe(0);
    const link = await waitFor(async () => ((await acip.api('GET', '/api/links')).body.links as any[]).find((l) => l.direction === 'inbound' && !before.includes(l.id) && l.state === 'ended'), 3000);
    expect(link).toMatchObject({ state: 'ended', endReason: { by: 'error', reason: 'the ACK carried no SDP answer' } });
  }, 60_000);

  it('offers the open session again for a re-INVITE without SDP and moves its RTP to the answer in the ACK', async () => {
    const sink = await rtpSink();
    try {
      const before = await inboundIds();
      const { run, stats } = await runSipp('offerless-uac-reinvite', sink.port);
      // sipp offers G.711 first; the re-offer lists opus first, and sipp's answer in the ACK takes it.
      const link = await connectedWith('opus', before);
      expect(link).toMatchObject({ state: 'connected', codec: { name: 'opus' } });
      const ours = mLine(link.localSdp)!;
      expect(mLine(link.remoteSdp)).toEqual({ port: sink.port, pt: ours.pt });
      await waitFor(() => (sink.from.get(ours.port) ?? 0) >= 25, 2000);
      expect(sink.from.get(ours.port) ?? 0).toBeGreaterThanOrEqual(25);
      expect([...sink.payloadTypes]).toEqual([ours.pt]);
      const r = await run;
      expect(r.timedOut).toBe(false);
      expect(stats().get('SuccessfulCall(C)')).toBe('1');
      expect(r.code).toBe(0);
    } finally {
      sink.close();
    }
  }, 60_000);
});
