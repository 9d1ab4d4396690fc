/**
 * RTX (RFC 4588) under SRTP: the retransmission stream has its own SSRC and sequence numbers, and
 * shares the media's master key (RFC 3711 §3.2.3: state per SSRC; RFC 4568 §6.1: one SDES key for
 * the session). Two SRTP stages keyed crosswise as SDES keys them carry media and RTX both ways:
 * each stream keeps its own rollover counter and replay list, a replayed retransmission is
 * dropped, and a flood of new SSRCs is bounded and counted.
 */
import { describe, expect, it } from 'vitest';
import { parseRtp, serializeRtp, type RtpPacket } from '../../../server/rtp/rtp-packet.js';
import { RtxHistory, unwrapRtx } from '../../../server/rtp/rtx.js';
import { SrtpStage, type SrtpKeyParams } from '../../../server/rtp/srtp-stage.js';
import { SRTP_DEFAULT_MAX_SSRCS } from '../../../server/rtp/srtp/srtp-context.js';
import type { SrtpSuiteName } from '../../../server/rtp/srtp/srtp-suite.js';
import { seqAdd } from '../../../server/rtp/seq.js';

const MEDIA_SSRC = 0x1111_2222;
const RTX_SSRC = 0x3333_4444;
const OPUS = 111;
const RTX_PT = 112;

function key(suite: SrtpSuiteName, fill: number): SrtpKeyParams {
  return { suite, masterKey: Buffer.alloc(16, fill), masterSalt: Buffer.alloc(suite === 'AEAD_AES_128_GCM' ? 12 : 14, fill + 1) };
}

/** Alice sends with key A and receives with key B; Bob the other way round (RFC 4568 §6.1). */
function stages(suite: SrtpSuiteName): { alice: SrtpStage; bob: SrtpStage } {
  return {
    alice: new SrtpStage({ send: key(suite, 1), receive: key(suite, 7) }),
    bob: new SrtpStage({ send: key(suite, 7), receive: key(suite, 1) }),
  };
}

function media(seq: number): RtpPacket {
  const payload = Buffer.alloc(40, seq & 0xff);
  payload.writeUInt16BE(seq, 0);
  return { version: 2, padding: 0, marker: false, payloadType: OPUS, sequenceNumber: seq, timestamp: seq * 960, ssrc: MEDIA_SSRC, csrcs: [], extension: undefined, payload };
}

function plain(out: Buffer | string): RtpPacket {
  if (typeof out === 'string') throw new Error(`dropped: ${out}`);
  return parseRtp(out);
}

describe.each(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM'] as const)('media and RTX under %s', (suite) => {
  it('both streams round-trip through one stage pair, each with its own rollover counter', () => {
    const { alice, bob } = stages(suite);
    // The media crosses 65535 → 0 (its ROC becomes 1); the RTX stream starts elsewhere, ROC 0.
    const history = new RtxHistory({ capacityPackets: 64, capacityMs: 1000, rtxSsrc: RTX_SSRC, rtxPayloadTypes: new Map([[OPUS, RTX_PT]]), initialRtxSeq: 100 });
    const lost = new Set([65534, 1, 2]);
    const received = new Map<number, Buffer>();
    for (let i = 0; i < 10; i++) {
      const seq = seqAdd(65530, i);
      const pkt = media(seq);
      history.record(pkt, i * 20);
      const wire = alice.protectRtp(serializeRtp(pkt));
      expect(wire).not.toBeNull();
      if (lost.has(seq)) continue;
      received.set(seq, plain(bob.unprotectRtp(wire!)).payload);
    }
    const { packets } = history.onNack([...lost], 200);
    expect(packets).toHaveLength(3);
    for (const rtx of packets) {
      const wire = alice.protectRtp(serializeRtp(rtx));
      const back = plain(bob.unprotectRtp(wire!));
      expect(back.ssrc).toBe(RTX_SSRC);
      const original = unwrapRtx(back, { payloadType: OPUS, ssrc: MEDIA_SSRC })!;
      received.set(original.sequenceNumber, original.payload);
    }
    for (let i = 0; i < 10; i++) {
      const seq = seqAdd(65530, i);
      expect(received.get(seq)).toEqual(media(seq).payload);
    }
    // The media's state moved past the wrap; the RTX stream's is its own (RFC 3711 §3.3.1).
    expect(bob.stats()).toMatchObject({ dropped: 0, ssrcLimitDropped: 0, ssrcs: { send: 0, receive: 2 } });
    expect(alice.stats().ssrcs).toEqual({ send: 2, receive: 0 });
  });

  it('drops a replayed retransmission as SRTP_REPLAY, and the media goes on', () => {
    const { alice, bob } = stages(suite);
    const history = new RtxHistory({ capacityPackets: 64, capacityMs: 1000, rtxSsrc: RTX_SSRC, rtxPayloadTypes: new Map([[OPUS, RTX_PT]]), initialRtxSeq: 65535 });
    for (let seq = 10; seq < 14; seq++) history.record(media(seq), seq);
    const [rtx] = history.onNack([11], 20).packets;
    const wire = alice.protectRtp(serializeRtp(rtx!))!;
    expect(plain(bob.unprotectRtp(wire)).sequenceNumber).toBe(65535);
    expect(bob.unprotectRtp(wire)).toBe('SRTP_REPLAY');
    // A second retransmission of the same packet is a new RTX packet (next RTX number, past the
    // RTX stream's own wrap) and is accepted.
    const [again] = history.onNack([11], 40).packets;
    expect(plain(bob.unprotectRtp(alice.protectRtp(serializeRtp(again!))!)).sequenceNumber).toBe(0);
    expect(plain(bob.unprotectRtp(alice.protectRtp(serializeRtp(media(14)))!)).sequenceNumber).toBe(14);
    expect(bob.stats().droppedByReason.SRTP_REPLAY).toBe(1);
  });

  it('RTCP from the receiver, where its NACKs ride, goes back under the receiver key', () => {
    const { alice, bob } = stages(suite);
    // A minimal receiver report from Bob's SSRC.
    const rr = Buffer.alloc(8);
    rr[0] = 0x80;
    rr[1] = 201;
    rr.writeUInt16BE(1, 2);
    rr.writeUInt32BE(0x5555_6666, 4);
    const wire = bob.protectRtcp(rr)!;
    expect(alice.unprotectRtcp(wire)).toEqual(rr);
  });
});

describe('the bound on SSRC state', () => {
  it('drops and counts packets of new SSRCs beyond the bound while every known one is active', () => {
    const { alice, bob } = stages('AES_CM_128_HMAC_SHA1_80');
    const from = (ssrc: number, seq: number): Buffer => alice.protectRtp(serializeRtp({ ...media(seq), ssrc }))!;
    for (let i = 0; i < SRTP_DEFAULT_MAX_SSRCS; i++) expect(typeof bob.unprotectRtp(from(0x1000 + i, 1))).not.toBe('string');
    for (let i = 0; i < 100; i++) expect(bob.unprotectRtp(from(0x9000 + i, 1))).toBe('SRTP_SSRC_LIMIT');
    expect(bob.stats()).toMatchObject({ ssrcLimitDropped: 100, dropped: 0, droppedByReason: { SRTP_SSRC_LIMIT: 100 }, ssrcs: { receive: SRTP_DEFAULT_MAX_SSRCS } });
    // The streams already known carry on.
    expect(typeof bob.unprotectRtp(from(0x1000, 2))).not.toBe('string');
  });
});
