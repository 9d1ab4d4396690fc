/**
 * Our offers (with their a=ebuacip lines) sent to a real, auto-answering baresip 1.0 in INVITEs:
 * baresip must accept them and answer with a codec we read back with applyAnswer; an L24-only offer
 * must get 488 (baresip 1.0 has no L24). Signalling only: no ACK, no media; baresip is stopped by PID.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAnswer, buildOffer } from '../../server/sdp/offer-answer.js';
import { launchBaresip, writeBaresipFiles } from '../helpers/baresip.js';
import { requireProgram } from '../helpers/require-program.js';
import { freePort, type PeerProcess } from '../helpers/sip-peer-process.js';
import { profile } from './helpers.js';

const has = requireProgram('baresip');

describe.skipIf(!has)('baresip 1.0 answering our offers', () => {
  let dir = '';
  let proc: PeerProcess | undefined;
  let sock: Socket;
  let bsPort = 0;
  let myPort = 0;
  let callNo = 0;

  beforeAll(async () => {
    sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    myPort = sock.address().port;
    bsPort = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'acip-sdp-baresip-'));
    writeBaresipFiles(
      dir,
      {
        sipPort: bsPort,
        audioSource: 'ausine,1000',
        modules: ['aubridge', 'ausine', 'opus', 'l16', 'g722', 'g711', 'ebuacip', 'account', 'menu'],
        settings: ['opus_stereo yes', 'opus_sprop_stereo yes', 'ebuacip_jb_type auto'],
      },
      `<sip:uas@127.0.0.1:${bsPort}>;regint=0;answermode=auto`,
    );
    proc = await launchBaresip(dir, { args: ['-t', '30'] });
  });

  afterAll(async () => {
    // baresip lingers on SIGTERM while it hangs up the un-ACKed calls: stop() gives it 2 s, then SIGKILL (by PID).
    await proc?.stop(2000);
    sock.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends an INVITE with the SDP, retransmitting every 500 ms (at most 20 times) until a final response. */
  async function invite(sdp: string): Promise<{ status: number; body: string }> {
    callNo++;
    const callId = `sdp-interop-${callNo}-${myPort}@127.0.0.1`;
    const msg = [
      `INVITE sip:uas@127.0.0.1:${bsPort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${myPort};branch=z9hG4bK-sdp-${callNo};rport`,
      'Max-Forwards: 70',
      `From: <sip:acip@127.0.0.1:${myPort}>;tag=t${callNo}`,
      `To: <sip:uas@127.0.0.1:${bsPort}>`,
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      `Contact: <sip:acip@127.0.0.1:${myPort}>`,
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(sdp)}`,
      '',
      sdp,
    ].join('\r\n');
    return await new Promise((resolve, reject) => {
      let tries = 0;
      const onMessage = (m: Buffer): void => {
        const text = m.toString('utf8');
        const status = /^SIP\/2\.0 (\d{3}) /.exec(text);
        if (!status || !text.includes(callId) || Number(status[1]) < 200) return;
        clearInterval(timer);
        sock.off('message', onMessage);
        const i = text.indexOf('\r\n\r\n');
        resolve({ status: Number(status[1]), body: i < 0 ? '' : text.slice(i + 4) });
      };
      sock.on('message', onMessage);
      const send = (): void => {
        if (++tries > 20) {
          clearInterval(timer);
          sock.off('message', onMessage);
          reject(new Error('baresip did not answer'));
          return;
        }
        sock.send(msg, bsPort, '127.0.0.1');
      };
      const timer = setInterval(send, 500);
      send();
    });
  }

  const cases: Array<[string, number, string | null]> = [
    ['ebu-3326-interop', 200, 'opus'],
    ['l16-stereo-48k', 200, 'L16'],
    ['g722-voice', 200, 'G722'],
    ['l24-stereo-48k', 488, null],
  ];
  it.each(cases)('profile %s: baresip answers %i with %s', async (name, status, codec) => {
    const offer = buildOffer({ profile: profile(name), localAddress: '127.0.0.1', rtpPort: 40000 });
    expect(offer.sdp).toContain('a=ebuacip:jbdef');
    const res = await invite(offer.sdp);
    expect(res.status).toBe(status);
    if (codec === null) return;
    const applied = applyAnswer(offer.offered, res.body);
    if (!applied.ok) throw new Error(applied.reason);
    expect(applied.negotiated.codecId).toBe(codec);
    expect(applied.negotiated.remote.address).toBe('127.0.0.1');
    expect(applied.negotiated.remote.rtpPort).toBeGreaterThan(0);
    expect(applied.negotiated.direction).toBe('sendrecv');
  }, 15000);
});
