/**
 * One inbound offer followed stage by stage through the one-way answer flow: the peer's m-line read
 * once into a plain value, the codec and packet time chosen, our a=ebuacip set derived, the answer
 * written. Each stage's output is plain data (structuredClone keeps it), and the text at the end is
 * exactly what answerOffer sends.
 */
import { describe, expect, it } from 'vitest';
import { codecRegistry } from '../../server/codecs/registry.js';
import { writeAnswer } from '../../server/sdp/answer-writer.js';
import { resolveProfile } from '../../server/sdp/codec-match.js';
import { deriveEbuAcip, ebuAcipSetToValues } from '../../server/sdp/ebuacip.js';
import { chooseForOffer, planSend } from '../../server/sdp/negotiate/choose.js';
import { negotiatedMedia } from '../../server/sdp/negotiate/negotiated.js';
import { offeredAudio } from '../../server/sdp/negotiate/peer-media.js';
import { answerOffer, type LocalSession } from '../../server/sdp/offer-answer.js';
import { readSdp } from '../../server/sdp/sdp-model.js';
import { fixture, profile } from './helpers.js';

const ANSWER = [
  'v=0',
  'o=- 77 1 IN IP4 192.0.2.200',
  's=acip',
  'c=IN IP4 192.0.2.200',
  't=0 0',
  'm=audio 20000 RTP/AVP 96',
  'b=AS:144',
  'b=TIAS:128000',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 maxplaybackrate=48000;sprop-maxcapturerate=48000;stereo=1;sprop-stereo=1;maxaveragebitrate=128000;useinbandfec=0;usedtx=0',
  'a=ptime:20',
  'a=maxptime:60',
  'a=sendrecv',
  'a=ebuacip:version 0',
  'a=ebuacip:jb 0',
  'a=ebuacip:jbdef 0 auto 20-160',
  'a=ebuacip:qosrec 46',
  '',
].join('\r\n');

describe("answering baresip's Opus offer with a=ebuacip, one stage at a time", () => {
  const offerText = fixture('baresip-offer-ebuacip.sdp');
  const p = profile('opus-music-128k');
  const local: LocalSession = {
    origin: { username: '-', sessionId: '77', sessionVersion: '1', address: '192.0.2.200', ipVer: 4 },
    sessionName: 'acip',
    profile: p,
    localAddress: '192.0.2.200',
    rtpPort: 20000,
    direction: 'sendrecv',
    qosrec: '46',
  };

  it('parses, chooses, derives and writes the same answer that answerOffer sends', () => {
    // 1. Parse: the peer's audio m-line, read once into a plain value.
    const offer = readSdp(offerText);
    const audio = offeredAudio(offer);
    if (!audio.ok) throw new Error(audio.reason);
    expect(audio.streams).toHaveLength(1);
    const peer = audio.streams[0];
    expect(structuredClone(peer)).toEqual(peer);
    expect(peer?.codecFormats.map((f) => f.payloadType)).toEqual([96, 97, 9, 8]);
    expect(peer?.remote).toEqual({ address: '127.0.0.1', rtpPort: 38098, rtcpPort: 38099 });
    expect(peer?.jbdef).toEqual({ kind: 'jbdef', option: 0, mode: 'auto', minMs: 20, maxMs: 160 });
    expect(peer?.ebuacip.plengths).toEqual([{ payloadType: 97, ptimeMs: 4 }]);

    // 2. Choose: our first codec (Opus) under the offerer's payload type, and what we send.
    const resolved = resolveProfile(p, codecRegistry);
    const chosen = chooseForOffer(resolved, audio.streams, codecRegistry);
    if (!chosen.ok) throw new Error(chosen.reason);
    const choice = chosen.choice;
    expect([choice.rc.record.id, choice.format.payloadType, choice.link]).toEqual(['opus', 96, { sampleRate: 48000, channels: 2 }]);
    const send = planSend(choice);
    expect(send.sendPtimeMs).toBe(20);
    expect(send.fmtp).toMatchObject({ receiveChannels: 2, sendChannels: 2, maxAverageBitrate: 128000 });
    expect(send.notes).toEqual([]);

    // 3. Derive our a=ebuacip set (Tech 3368): version, jb, our buffer as jbdef 0, qosrec.
    const ebuacip = deriveEbuAcip({ jitterBuffer: p.jitterBuffer, qosrec: '46' });
    expect(ebuAcipSetToValues(ebuacip)).toEqual(['version 0', 'jb 0', 'jbdef 0 auto 20-160', 'qosrec 46']);

    // 4. The negotiated stream and the answer text.
    const params = { ...choice.rc.params, ptimeMs: send.sendPtimeMs };
    const fmtp = choice.rc.record.formatFmtp(params);
    const negotiated = negotiatedMedia(choice, send, local, { recvPtimeMs: send.sendPtimeMs, ebuacip, fmtp });
    expect([negotiated.direction, negotiated.codecParams.channels, negotiated.jitterBuffer.source]).toEqual(['sendrecv', 2, 'peer']);
    const text = writeAnswer(offer, local, choice, { params, fmtp, ebuacip, direction: negotiated.direction });
    expect(text).toBe(ANSWER);

    // The public entry point runs the same stages.
    const r = answerOffer(offerText, { profile: p, localAddress: '192.0.2.200', rtpPort: 20000, sessionId: '77', sessionVersion: '1', qosrec: '46' });
    if (!r.ok) throw new Error(r.reason);
    expect(r.sdp).toBe(ANSWER);
    // It adds the stream's security (this profile has SRTP off, the default).
    expect(r.negotiated).toEqual({ ...negotiated, security: { media: 'rtp', reason: 'media not encrypted: SRTP is off in the profile' } });
  });
});
