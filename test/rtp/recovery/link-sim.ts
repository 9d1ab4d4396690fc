/**
 * A discrete-event simulation of one media direction with loss recovery, on virtual time (no sockets,
 * no timers): a sending RecoveryStage, one or two seeded Gilbert–Elliott paths with a fixed one-way
 * delay, a receiving RecoveryStage feeding a real JitterBuffer (fixed delay) popped once per packet
 * time and polled for NACK retries every 5 ms, and the feedback path back (NACKs, lost with the same model on the reverse path).
 *
 * The tests assert behaviour on it with fixed seeds; the recovery bench (test/bench/recovery.ts)
 * prints its figures for the README table.
 */
import { JitterBuffer } from '../../../server/media/jitter-buffer.js';
import { RecoveryStage } from '../../../server/media/recovery-stage.js';
import type { MediaRecoveryParams } from '../../../server/media/session-types.js';
import { serializeRtcp, type RtcpPacket } from '../../../server/rtp/rtcp/compound.js';
import type { RtpPacket } from '../../../server/rtp/rtp-packet.js';
import { tsDiff } from '../../../server/rtp/seq.js';
import { nackFciToSeqs } from '../../../server/rtp/rtcp/feedback.js';
import { GilbertElliottChannel, type GilbertElliottParams } from './gilbert-elliott.js';
import type { LossTrace } from './loss-trace.js';

export interface SimOptions {
  recovery: MediaRecoveryParams;
  /** Frames sent. */
  frames: number;
  ptimeMs: number;
  clockRate: number;
  /** Encoded frame size, octets (Opus 128k at 20 ms: 320; L24 stereo 48 kHz at 5 ms: 1440). */
  frameBytes: number;
  /** Round-trip time; each way is half. */
  rttMs: number;
  /** The receive buffer's fixed delay, ms. */
  bufferMs: number;
  /** Loss per path (the second only with `recovery.duplicate`), and on the feedback path. */
  loss: GilbertElliottParams | null;
  seed: number;
  /**
   * Tell the receiving stage when each frame is played (the jitter buffer's pull grid, as the media
   * session knows it) instead of letting it estimate from arrivals (default true).
   */
  playoutKnown?: boolean;
  /** An explicit loss pattern for path 0 (true = lost), instead of `loss`. */
  pattern0?: readonly boolean[];
  pattern1?: readonly boolean[];
  /** Told of every original on path 0, every NACK and every retransmission (loss-trace.ts). */
  trace?: LossTrace;
  /**
   * Whether the receiving stage knows the RTT (default true). A receive-only media session sends no
   * SR, so RTCP gives it none (RFC 3550 §6.4.1 measures the RTT at the sender): false models that.
   */
  receiverKnowsRtt?: boolean;
}

export interface SimResult {
  /** Frames concealed (lost or late) as a percentage of frames played. */
  concealedPct: number;
  concealed: number;
  played: number;
  /** Frames lost on path 0 before recovery. */
  lostOnPath0: number;
  /** Frames that came out of the buffer with the wrong content (must stay 0). */
  wrongContent: number;
  /** IP/UDP/RTP octets sent forward (all paths, RTX included) and back (RTCP feedback). */
  forwardOctets: number;
  feedbackOctets: number;
  /** Of `forwardOctets`, the RTX retransmissions. */
  rtxOctets: number;
  stats: ReturnType<RecoveryStage['stats']>;
  /** The sender's RTX counts: answers (`resent`) and copies of early answers (`copies`). */
  senderRtx: ReturnType<RecoveryStage['rtxStats']>;
}

const PT = 111;
const IP_UDP = 28;
const RTP_HEADER = 12;

interface Event {
  at: number;
  order: number;
  run: () => void;
}

/** A binary min-heap of events by (time, insertion order). */
class EventQueue {
  private readonly h: Event[] = [];
  get size(): number {
    return this.h.length;
  }
  push(e: Event): void {
    const h = this.h;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Event {
    const h = this.h;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}

export function simulate(o: SimOptions): SimResult {
  const events = new EventQueue();
  let order = 0;
  const at = (t: number, run: () => void): void => {
    events.push({ at: t, order: order++, run });
  };
  const oneWay = o.rttMs / 2;
  const unitsPerFrame = (o.ptimeMs * o.clockRate) / 1000;
  const slots = o.frames * 4 + 100;
  const path = (i: number): GilbertElliottChannel | null => (o.loss ? new GilbertElliottChannel(o.loss, o.seed * 7919 + i, slots) : null);
  const channels = [path(0), path(1)];
  const back = path(2);
  let forwardOctets = 0;
  let feedbackOctets = 0;
  let rtxOctets = 0;
  let lostOnPath0 = 0;
  const sendPath = (i: 0 | 1, slot: number, isOriginal: boolean): boolean => {
    const pattern = i === 0 ? o.pattern0 : o.pattern1;
    if (pattern && isOriginal) return pattern[slot] !== true;
    const ch = channels[i];
    return !ch || !ch.lose(slot);
  };
  let now = 0;
  const buffer = new JitterBuffer({
    mode: 'fixed',
    fixedDelayMs: o.bufferMs,
    minDelayMs: 0,
    maxDelayMs: Math.max(1000, o.bufferMs * 2),
    ptimeMs: o.ptimeMs,
    rtpClockRate: o.clockRate,
    samplesPerFrame: unitsPerFrame,
    driftCompensation: false,
  });
  const senderSsrc = 0x1234_5678;
  const receiverSsrc = 0x0bad_cafe;
  let sender: RecoveryStage | undefined;
  // Fixed mode never stalls: once the first frame is played, one frame is played per pull.
  let firstPlayed: { atMs: number; timestamp: number } | null = null;
  const playoutAtMs = (timestamp: number): number | undefined =>
    firstPlayed ? firstPlayed.atMs + (tsDiff(timestamp, firstPlayed.timestamp) / unitsPerFrame) * o.ptimeMs : undefined;
  const receiver = new RecoveryStage(
    { params: o.recovery, primaryPt: PT, ourSsrc: receiverSsrc, rtpClockRate: o.clockRate, receivePtimeMs: o.ptimeMs, random: () => 0.25 },
    {
      push: (p) => buffer.push(p),
      bufferDelayMs: () => o.bufferMs,
      ...(o.playoutKnown ?? true ? { playoutAtMs } : {}),
      rttMs: () => (o.receiverKnowsRtt ?? true ? o.rttMs : null),
      remoteSsrc: () => senderSsrc,
      sendRtx: () => undefined,
      sendFeedback: (packets: RtcpPacket[]) => {
        feedbackOctets += IP_UDP + serializeRtcp(packets).length + 52; // + RR and SDES of the compound
        const slot = Math.floor(now / o.ptimeMs);
        const lost = back !== null && back.lose(slot);
        if (o.trace) for (const p of packets) if (p.type === 'nack') o.trace.request(nackFciToSeqs(p.fci), now, lost);
        if (lost) return;
        const t = now + oneWay;
        at(t, () => sender?.onRtcp(packets, t));
      },
    },
  );
  sender = new RecoveryStage(
    { params: o.recovery, primaryPt: PT, ourSsrc: senderSsrc, rtpClockRate: o.clockRate, receivePtimeMs: o.ptimeMs, random: () => 0.5 },
    {
      push: () => undefined,
      bufferDelayMs: () => undefined,
      rttMs: () => o.rttMs,
      remoteSsrc: () => receiverSsrc,
      sendRtx: (pkt: RtpPacket) => {
        forwardOctets += IP_UDP + RTP_HEADER + pkt.payload.length;
        rtxOctets += IP_UDP + RTP_HEADER + pkt.payload.length;
        const slot = Math.floor(now / o.ptimeMs);
        const osn = pkt.payload.readUInt16BE(0);
        const delivered = sendPath(0, slot, false);
        o.trace?.retransmission(osn, now, !delivered);
        if (!delivered) return;
        const t = now + oneWay;
        at(t, () => {
          o.trace?.retransmissionArrived(osn, t);
          receiver.onSide(pkt, t);
        });
      },
      sendFeedback: () => undefined,
    },
  );

  const payloadOf = (k: number): Buffer => {
    const b = Buffer.alloc(o.frameBytes, k & 0xff);
    b.writeUInt32BE(k, 0);
    return b;
  };
  for (let k = 0; k < o.frames; k++) {
    const t = k * o.ptimeMs;
    at(t, () => {
      const primary = payloadOf(k);
      const out = sender.outgoing(primary, k * unitsPerFrame);
      const pkt: RtpPacket = {
        version: 2,
        padding: 0,
        marker: k === 0,
        payloadType: out.payloadType,
        sequenceNumber: (1000 + k) & 0xffff,
        timestamp: (5000 + k * unitsPerFrame) >>> 0,
        ssrc: senderSsrc,
        csrcs: [],
        extension: undefined,
        payload: out.payload,
      };
      sender.sent(pkt, primary, t);
      const paths: Array<0 | 1> = o.recovery.duplicate ? [0, 1] : [0];
      for (const i of paths) {
        forwardOctets += IP_UDP + RTP_HEADER + pkt.payload.length;
        const delivered = sendPath(i, k, true);
        if (i === 0) o.trace?.original(pkt.sequenceNumber, t, !delivered);
        if (!delivered) {
          if (i === 0) lostOnPath0++;
          continue;
        }
        const arrive = t + oneWay + (i === 1 ? 1 : 0);
        at(arrive, () => receiver.onRtp(pkt, arrive, i));
      }
    });
  }
  // The receiver's clock: a pull and a NACK poll every packet time, half a packet time after sends.
  let played = 0;
  let concealed = 0;
  let wrongContent = 0;
  const end = o.frames * o.ptimeMs + o.bufferMs + o.rttMs + 200;
  // NACK retries on a 5 ms tick, as the media session's receive clock runs.
  for (let t = 2.5; t < end; t += 5) at(t, () => receiver.poll(t));
  for (let t = o.ptimeMs / 2; t < end; t += o.ptimeMs) {
    at(t, () => {
      const f = buffer.pop(t);
      if (f.kind === 'packet') {
        firstPlayed ??= { atMs: t, timestamp: f.timestamp };
        played++;
        const k = (f.timestamp - 5000) / unitsPerFrame;
        const inner = f.payload.length >= 4 ? f.payload.readUInt32BE(0) : -1;
        if (inner !== k) wrongContent++;
      } else if (f.reason === 'lost' || f.reason === 'underrun') {
        if (played > 0 && played + concealed < o.frames) concealed++;
      }
    });
  }
  while (events.size > 0) {
    const e = events.pop();
    now = e.at;
    e.run();
  }
  const total = played + concealed;
  return {
    concealedPct: total > 0 ? (100 * concealed) / total : 0,
    concealed,
    played,
    lostOnPath0,
    wrongContent,
    forwardOctets,
    feedbackOctets,
    rtxOctets,
    stats: receiver.stats(buffer.stats().lost),
    senderRtx: sender.rtxStats(),
  };
}
