/**
 * Receive jitter buffer, one per incoming RTP stream.
 *
 * Packet arrival never drives playout: `push` only stores and measures; the media session's frame
 * clock calls `pop(now)` whenever its output needs the next frame (once per packet time on average)
 * and gets either a packet to decode or a "missing" frame to conceal through the codec record. With
 * every frame comes a stretch hint `adjustSamples` (RTP timestamp units, per channel): the PCM-domain
 * corrector (drift-corrector.ts) removes (−) or inserts (+) that many samples where least audible.
 * That is how the buffer both follows its target delay and cancels clock drift.
 *
 * Terms (all ms):
 * - d, relative transit of a packet: arrival − media time of its RTP timestamp (constant offset unknown).
 * - floor: the minimum transit (DriftEstimator), following the sender-clock drift trend.
 * - r = d − floor: how late a packet is compared with the fastest packets (≥ 0 up to noise).
 * - L, current delay: now − media time of the frame being played − floor = how long after the fastest
 *   possible arrival this frame is played. A frame arrives in time when its r ≤ L.
 * - target: fixed mode: `fixedDelayMs`; adaptive: quantile `q` of recent r (DelayHistogram) + margin,
 *   within [minDelayMs, maxDelayMs].
 *
 * Sequence numbers give continuity (loss, duplicates, reordering); timestamps give timing.
 * Frames are identified by RTP timestamp; a packet's duration is taken from the timestamp of the next
 * packet in sequence when that is buffered, else `samplesPerFrame`. A sequence-contiguous packet whose
 * timestamp is further ahead than expected is not a loss: if it is not due yet (sender DTX / silence
 * suppression) `pop` returns `missing` with reason `gap` until it is; if it is due (the previous packet
 * was just longer than one frame) it is played at once.
 *
 * Adaptive behaviour:
 * - Buffer dry: the first empty pull whose slot is already overdue (delay ≥ target, i.e. the packet
 *   is later than `quantile` of packets are) is concealed as `lost` and passed — most likely a loss,
 *   and waiting would add a frame of delay for the same concealment. Further empty pulls (or an empty
 *   pull below target) stall: concealed as `underrun` without advancing, so the delay grows at once
 *   by a frame per pull until packets come (a spike's burst then plays in full).
 * - A gap with later packets present is a loss: the slot is concealed (`lost`) and passed.
 * - Target: jb-target-controller.ts decides it (a forgetting histogram's quantile of r, a fast attack
 *   on runs of late packets, route changes, start-up, the concealment budget, disturbances; its header
 *   says how); this file follows it.
 * - Arrivals read late by a stall of this process, which held the pulls as long, are not measured
 *   (see `readByMs`): that stall is no network jitter.
 * - The level respects maxDelayMs: the correction aims at most at maxDelayMs − pullPeriodMs (the grid
 *   point below the maximum), and frames are dropped only above maxDelayMs + pullPeriodMs.
 * - The packets behind a delay spike that went past the maximum arrive late, in bursts, each less
 *   late than the one before: they are counted late, and playout keeps its position. Only a run of
 *   late packets whose lateness does not shrink (a sender slower than real time) re-anchors playout:
 *   packets less late than the one before neither count towards the run nor end it (such a sender's
 *   bursts), and the run must be no less late than at its start (a spike's tail drains).
 * - The level follows the target by stretch hints: at most `maxShrinkFraction` of a frame removed per
 *   frame (`fastShrinkFraction` when more than `fastShrinkAboveMs` above), `maxGrowFraction` inserted.
 *   Frames are pulled whole on a ptime clock, so the pull-time delay moves by whole frames; see
 *   `correction` for how the output's backlog is used and why a drifting link sits about a frame higher.
 * Fixed mode never stalls: a slot whose packet has not come is concealed and passed (the packet is
 * counted late if it turns up), so the delay stays at the set value (± one frame of tick phase); only
 * drift and the initial alignment are corrected by stretching.
 *
 * Timestamps: a sequence-contiguous packet can play early only when due; a packet whose time has passed
 * is late. Lost = sequence numbers passed over that never arrived (late arrivals are moved to `late`).
 * Sequence jumps beyond RFC 3550 A.1's MAX_DROPOUT/MAX_MISORDER are dropped unless the next packet
 * continues from them (then: resync).
 */

import { MAX_DROPOUT, MAX_MISORDER } from '../rtp/receiver-stats.js';
import { seq16, seqDiff, ts32, tsDiff } from '../rtp/seq.js';
import { DriftEstimator } from './drift-estimator.js';
import { TargetController } from './jb-target-controller.js';
import {
  validateJitterBufferOptions,
  type IncomingPacket,
  type JitterBufferMode,
  type JitterBufferOptions,
  type JitterBufferStats,
  type MissingReason,
  type PlayoutFrame,
} from './jitter-buffer-types.js';

export type { IncomingPacket, JitterBufferMode, JitterBufferOptions, JitterBufferStats, MissingReason, PlayoutFrame } from './jitter-buffer-types.js';
export { validateJitterBufferOptions } from './jitter-buffer-types.js';

interface Entry {
  extSeq: number;
  extTs: number;
  seq: number;
  ts: number;
  payload: Buffer;
  marker: boolean;
}

/**
 * Sequence-number rings (seen, lost), indexed by extended sequence number mod RING. A packet reaches
 * `accept` only within MAX_MISORDER behind the highest sequence number (RFC 3550 A.1, checked in
 * `push`), so that is as far back as a duplicate or a late arrival has to be recognised: a ring larger
 * than MAX_MISORDER is exact. 256 entries (2 KiB a ring) instead of the 4096 a ring once had (64 KiB
 * per buffer to allocate and NaN-fill at every call set-up, the largest part of a PCMA session's
 * memory).
 */
const RING = 256;
/** Losses counted for one gap at most (a longer gap is a restart, not a loss run). */
const MAX_LOST_RUN = 4096;
/** Drift above which the level is held flat at target + ptime (see `correction`). */
const DRIFT_FLAT_PPM = 5;
/**
 * A packet read more than this after the output's next pull was due is stamped as read then (see
 * `readByMs`): a longer stall is one the output's clock skips ticks over, real for playout too.
 */
const READ_STALL_MAX_MS = 200;
/** Late packets in a run (and ms of them; see `push`) after which playout re-anchors on the latest. */
const LATE_RUN_RESYNC = 4;
const LATE_RUN_RESYNC_MS = 40;

export class JitterBuffer {
  readonly mode: JitterBufferMode;
  private readonly o: Required<Omit<JitterBufferOptions, 'fixedDelayMs' | 'drift' | 'initialDelayMs'>> & {
    fixedDelayMs: number;
    initialDelayMs: number;
  };
  private readonly msPerUnit: number;
  private readonly drift: DriftEstimator;
  private readonly tc: TargetController;

  private buf: Entry[] = [];
  private haveStream = false;
  private started = false;
  private firstExtTs = 0;
  private highestExtSeq = 0;
  private highestExtTs = 0;
  private nextSeq = 0;
  private pointerTs = 0;
  /** Where nextSeq was expected when it became next. */
  private expectTs = 0;
  private readonly seenRing = new Float64Array(RING).fill(NaN);
  private readonly lostRing = new Float64Array(RING).fill(NaN);
  private candidate: { p: IncomingPacket } | undefined;
  private currentDelay = 0;
  private adjustAcc = 0;
  private inConcealRun = false;
  private inUnderrunRun = false;
  /** Late packets in a row (see accept), how late the last of them was, and the first (ms). */
  private lateRun = 0;
  private lateRunLateness = 0;
  private lateRunFirst = 0;
  /** Time of the last `pop` (the playout position's clock). */
  private lastPullMs = 0;
  /**
   * Latest due time of the next pull (last pull + its backlog + a frame stretched by the most allowed +
   * a pull period; Infinity before any). Pulls run after the socket reads of the same event loop: a packet stamped later was
   * read late by a stall of this process (GC, a busy machine) that held the pulls as long, and the
   * catch-up pulls find it in time. Its stamp says nothing of the network: measured, every such stall
   * would pass for jitter and hold the delay up for a minute, so it is not (`accept`). Pulls on a
   * clock of their own (an audio thread, the fake-clock bench) run on, and every stamp is measured.
   */
  private readByMs = Infinity;
  private inOverflow = false;
  private readonly s: JitterBufferStats;

  constructor(opts: JitterBufferOptions) {
    validateJitterBufferOptions(opts);
    this.mode = opts.mode;
    const clamp = (x: number) => Math.min(opts.maxDelayMs, Math.max(opts.minDelayMs, x));
    const maxPacketsDefault = Math.ceil((2 * opts.maxDelayMs + 1000) / opts.ptimeMs);
    this.o = {
      mode: opts.mode,
      fixedDelayMs: opts.fixedDelayMs ?? opts.minDelayMs,
      minDelayMs: opts.minDelayMs,
      maxDelayMs: opts.maxDelayMs,
      ptimeMs: opts.ptimeMs,
      pullPeriodMs: opts.pullPeriodMs ?? opts.ptimeMs,
      rtpClockRate: opts.rtpClockRate,
      samplesPerFrame: opts.samplesPerFrame,
      maxPackets: opts.maxPackets ?? maxPacketsDefault,
      initialDelayMs: clamp(opts.initialDelayMs ?? 40),
      quantile: opts.quantile ?? 0.99,
      jicoBudget: opts.jicoBudget ?? 0.01,
      marginMs: opts.marginMs ?? 0,
      forgetMs: opts.forgetMs ?? 60_000,
      startForgetWeight: opts.startForgetWeight ?? 5,
      deadbandMs: opts.deadbandMs ?? Math.max(1, opts.ptimeMs / 8),
      gain: opts.gain ?? 0.1,
      maxShrinkFraction: opts.maxShrinkFraction ?? 0.1,
      maxGrowFraction: opts.maxGrowFraction ?? 0.1,
      fastShrinkFraction: opts.fastShrinkFraction ?? 0.5,
      fastShrinkAboveMs: opts.fastShrinkAboveMs ?? Math.max(3 * opts.ptimeMs, 40),
      driftCompensation: opts.driftCompensation ?? true,
    };
    this.msPerUnit = 1000 / opts.rtpClockRate;
    this.drift = new DriftEstimator(opts.drift);
    this.tc = new TargetController({
      mode: this.mode,
      ptimeMs: opts.ptimeMs,
      minDelayMs: opts.minDelayMs,
      maxDelayMs: opts.maxDelayMs,
      initialTargetMs: this.mode === 'fixed' ? this.o.fixedDelayMs : this.o.initialDelayMs,
      quantile: this.o.quantile,
      jicoBudget: this.o.jicoBudget,
      marginMs: this.o.marginMs,
      forgetMs: this.o.forgetMs,
      startForgetWeight: this.o.startForgetWeight,
    });
    this.s = {
      mode: opts.mode, currentDelayMs: 0, targetDelayMs: this.tc.targetMs, bufferedMs: 0, bufferedPackets: 0,
      received: 0, lost: 0, late: 0, duplicate: 0, reordered: 0, overflowDropped: 0, overflows: 0,
      outOfRange: 0, resyncs: 0, concealedFrames: 0, concealmentEvents: 0, underrunFrames: 0, underruns: 0,
      gapFrames: 0, framesPlayed: 0, framesDropped: 0, samplesInserted: 0, samplesDropped: 0, driftPpm: 0,
      routeChanges: 0,
    };
  }

  /** Store one received packet. Never throws on network input: bad values are dropped and counted. */
  push(p: IncomingPacket): void {
    if (!Number.isInteger(p.seq) || p.seq < 0 || p.seq > 0xffff || !Number.isInteger(p.timestamp) || p.timestamp < 0 ||
        p.timestamp > 0xffff_ffff || !Number.isFinite(p.arrivalMs)) {
      this.s.outOfRange++;
      return;
    }
    this.s.received++;
    if (!this.haveStream) {
      this.startStream(p);
      return;
    }
    const dSeq = seqDiff(p.seq, seq16(this.highestExtSeq));
    // RFC 3550 A.1: a jump beyond MAX_DROPOUT ahead or MAX_MISORDER behind is accepted only when the
    // next packet continues from it (the sender restarted); a lone one is dropped.
    if (dSeq > MAX_DROPOUT || dSeq < -MAX_MISORDER) {
      const c = this.candidate;
      if (c && seqDiff(p.seq, c.p.seq) === 1) {
        this.candidate = undefined;
        this.s.resyncs++;
        this.resetStream();
        this.startStream(c.p);
        this.push(p);
        this.s.received--; // counted once above
        this.s.outOfRange--; // the candidate was counted as dropped; it was used after all
      } else {
        this.candidate = { p };
        this.s.outOfRange++;
      }
      return;
    }
    this.candidate = undefined;
    const extSeq = this.highestExtSeq + dSeq;
    const extTs = this.highestExtTs + tsDiff(p.timestamp, ts32(this.highestExtTs));
    this.accept(p, extSeq, extTs);
  }

  /**
   * When the frame with RTP timestamp `timestamp` will be popped (ms, the `pop` clock); undefined before
   * playout starts. Frames are popped one packet time apart on average (the output asks for the next
   * when the last has played), so this is the NACK deadline a retransmission must beat.
   */
  playoutAtMs(timestamp: number): number | undefined {
    if (!this.started) return undefined;
    const extTs = this.highestExtTs + tsDiff(timestamp, ts32(this.highestExtTs));
    return this.lastPullMs + this.o.ptimeMs * (1 + (extTs - this.pointerTs) / this.o.samplesPerFrame);
  }

  /**
   * The next frame for the output, called by the frame clock whenever its output needs one.
   *
   * @param nowMs local time of the call (the same clock as `arrivalMs`): a packet must have arrived
   *   by now to be played.
   * @param outputBacklogMs audio the output still holds ahead of this frame (the caller's FIFO after
   *   earlier stretched frames), so the frame starts playing at nowMs + outputBacklogMs. Frames are
   *   pulled whole every `pullPeriodMs`, so this is in [0, pullPeriodMs); the buffer uses it to keep the
   *   total delay low (see `correction`).
   */
  pop(nowMs: number, outputBacklogMs = 0): PlayoutFrame {
    this.lastPullMs = nowMs;
    this.readByMs = nowMs + Math.max(0, outputBacklogMs) + this.o.ptimeMs * (1 + this.o.maxGrowFraction) + this.o.pullPeriodMs;
    if (!this.haveStream) return this.missing('not-started');
    const floor = this.drift.floorAt(nowMs) ?? 0;
    const backlog = Math.max(0, outputBacklogMs);
    if (!this.started) {
      const first = this.buf[0];
      if (!first) return this.missing('not-started');
      const l = nowMs - this.mediaMs(this.pointerTs) - floor;
      this.currentDelay = l + backlog;
      if (l < this.tc.targetMs) return this.missing('not-started');
      this.started = true;
    }
    // Bounded: every pass removes a buffered packet or moves the playout position forward.
    const spf = this.o.samplesPerFrame;
    for (let guard = 0; guard < this.o.maxPackets + 2; guard++) {
      const head = this.buf[0];
      const l = nowMs - this.mediaMs(this.pointerTs) - floor;
      this.currentDelay = l + backlog;
      if (l + backlog > this.o.maxDelayMs + this.o.pullPeriodMs && head) {
        // Delay above the maximum (e.g. after a long outage): skip without playing.
        if (!this.inOverflow) this.s.overflows++;
        this.inOverflow = true;
        if (head.extTs - this.pointerTs > spf / 2) {
          this.s.framesDropped += Math.round((head.extTs - this.pointerTs) / spf);
          this.pointerTs = head.extTs;
        } else {
          this.buf.shift();
          this.s.framesDropped++;
          this.advancePast(head);
        }
        continue;
      }
      this.inOverflow = false;
      if (!head) {
        // Nothing at all to play. Adaptive mode waits (stalls) for the packet — unless it is already
        // overdue (the delay is at or above the target, which covers `quantile` of arrivals) and this
        // is the first empty pull: then it is most likely lost, and waiting would only add a frame of
        // delay to the same one frame of concealment. Fixed mode always lets the slot pass.
        // Never stall beyond the maximum delay: a stall there would push the next packet into the
        // overflow branch above, which drops it, and the buffer would then stall and drop for ever (seen
        // with baresip's L16 4 ms stream, sent about 2.5 % slower than real time).
        if (this.mode === 'adaptive' && l + backlog + this.o.ptimeMs <= this.o.maxDelayMs && (this.inUnderrunRun || this.inConcealRun || l < this.tc.targetMs)) {
          return this.conceal('underrun');
        }
        return this.skipSlot(this.mode === 'adaptive' ? 'lost' : 'underrun');
      }
      const ahead = head.extTs - this.pointerTs;
      if (ahead > spf / 2) {
        if (head.extSeq !== this.nextSeq) return this.skipSlot('lost');
        // Contiguous sequence number, later timestamp: sender silence (DTX), or the previous packet
        // was longer than one frame. Wait while the packet is not due; play it once it is.
        const lHead = nowMs - this.mediaMs(head.extTs) - floor;
        if (lHead < this.tc.targetMs - this.o.ptimeMs / 2) {
          if (lHead < -(this.o.maxDelayMs + 1000)) {
            // The timestamp leapt far ahead with contiguous sequence numbers: a new timeline.
            this.s.resyncs++;
            this.retime(head);
            return this.missing('not-started');
          }
          this.s.gapFrames++;
          const ts = this.pointerTs;
          this.pointerTs += Math.min(spf, ahead);
          return this.missing('gap', ts);
        }
      }
      this.buf.shift();
      this.advancePast(head);
      return this.play(head, l, backlog);
    }
    return this.conceal('underrun');
  }

  stats(): JitterBufferStats {
    const last = this.buf[this.buf.length - 1];
    this.s.currentDelayMs = this.currentDelay;
    this.s.targetDelayMs = this.tc.targetMs;
    this.s.bufferedPackets = this.buf.length;
    this.s.bufferedMs = last ? Math.max(0, (last.extTs + this.o.samplesPerFrame - this.pointerTs) * this.msPerUnit) : 0;
    this.s.driftPpm = this.drift.driftPpm;
    this.s.routeChanges = this.drift.routeChanges;
    return { ...this.s };
  }

  get targetDelayMs(): number {
    return this.tc.targetMs;
  }

  /** The quantile of relative delay the target covers now (adaptive mode; see jb-target-controller.ts). */
  get coveredQuantile(): number {
    return this.tc.coveredQuantile;
  }

  get driftPpm(): number {
    return this.drift.driftPpm;
  }

  // ---- internals -------------------------------------------------------------------------------

  private mediaMs(extTs: number): number {
    return (extTs - this.firstExtTs) * this.msPerUnit;
  }

  private startStream(p: IncomingPacket): void {
    this.haveStream = true;
    this.started = false;
    this.highestExtSeq = p.seq;
    this.highestExtTs = p.timestamp;
    this.firstExtTs = p.timestamp;
    this.nextSeq = p.seq;
    this.pointerTs = p.timestamp;
    this.expectTs = p.timestamp;
    this.accept(p, p.seq, p.timestamp);
  }

  private resetStream(): void {
    this.buf = [];
    this.haveStream = false;
    this.started = false;
    this.seenRing.fill(NaN);
    this.lostRing.fill(NaN);
    this.drift.reset();
  }

  /** New timeline from `head` on (timestamps jumped with contiguous sequence numbers). */
  private retime(head: Entry): void {
    this.firstExtTs = head.extTs;
    this.pointerTs = head.extTs;
    this.expectTs = head.extTs;
    this.started = false;
    this.drift.reset();
    this.buf = this.buf.filter((e) => e.extTs >= head.extTs);
  }

  private accept(p: IncomingPacket, extSeq: number, extTs: number): void {
    const slot = ((extSeq % RING) + RING) % RING;
    if (this.seenRing[slot] === extSeq) {
      this.s.duplicate++;
      return;
    }
    this.seenRing[slot] = extSeq;
    if (extSeq > this.highestExtSeq) {
      this.highestExtSeq = extSeq;
      this.highestExtTs = extTs;
    } else if (extSeq < this.highestExtSeq) {
      this.s.reordered++;
    }
    const readLateMs = p.arrivalMs - this.readByMs;
    if (!(readLateMs > 0 && readLateMs <= READ_STALL_MAX_MS)) this.measure(p.arrivalMs, extTs);

    const spf = this.o.samplesPerFrame;
    if (extSeq < this.nextSeq || (this.started && extTs < this.pointerTs - spf / 2)) {
      if (this.started) {
        // RFC 3550 leaves late packets to the receiver; ours: its slot has passed, drop and count.
        this.s.late++;
        this.tc.countLate();
        if (this.lostRing[slot] === extSeq) {
          this.lostRing[slot] = NaN;
          this.s.lost--;
        }
        // Every packet late for a while (not a stray one): the playout position has lost its anchor,
        // e.g. a sender running percent slower than real time (baresip's 4 ms L16) keeps its transit
        // rising faster than the floor can follow, and at the maximum delay each slot passes before its
        // packet arrives. Re-anchor on this packet: a short gap instead of silence for ever.
        // Not the tail of a delay spike, though, whose held packets come in bursts while the buffer, at
        // its maximum, lets a slot pass a frame. Within a burst each packet is less late than the one
        // before: it does not count towards the run, nor end it (a slow sender's bursts drain too). But
        // a burst's first packet can be as late as the last one of the burst before, so counting alone
        // took such tails for a slow sender. The run as a whole tells them apart: a slow sender's
        // lateness only grows, a spike's tail starts with its latest packet and drains. So re-anchor only
        // while this packet is at least as late as the run's first one.
        // Lateness: how long after its slot the packet came (the slot at the playout position is taken
        // at the next pull, about a packet time after the last one; each slot before it a frame earlier).
        const lateness = p.arrivalMs - this.lastPullMs - this.o.ptimeMs + (this.pointerTs - extTs) * this.msPerUnit;
        const shrinking = this.lateRun > 0 && lateness < this.lateRunLateness - this.o.ptimeMs / 2;
        if (this.lateRun === 0) this.lateRunFirst = lateness;
        this.lateRunLateness = lateness;
        const undrained = lateness >= this.lateRunFirst - this.o.ptimeMs / 2;
        if (!shrinking && ++this.lateRun >= Math.max(LATE_RUN_RESYNC, Math.ceil(LATE_RUN_RESYNC_MS / this.o.ptimeMs)) && undrained) {
          this.s.resyncs++;
          this.lateRun = 0;
          // retime() resets the drift estimator and the media time origin; measure again from here.
          this.retime({ extSeq, extTs, seq: p.seq, ts: p.timestamp, payload: p.payload, marker: p.marker === true });
          this.drift.add(p.arrivalMs, p.arrivalMs - this.mediaMs(extTs));
          this.nextSeq = extSeq;
          this.buf = this.buf.filter((e) => e.extSeq > extSeq);
          this.buf.unshift({ extSeq, extTs, seq: p.seq, ts: p.timestamp, payload: p.payload, marker: p.marker === true });
        }
        return;
      }
      // Before playout starts, an earlier packet simply becomes the first to play.
      this.nextSeq = extSeq;
      this.pointerTs = extTs;
      this.expectTs = extTs;
    }
    this.lateRun = 0;
    // Insert in sequence order (nearly always at the end).
    let i = this.buf.length;
    while (i > 0 && (this.buf[i - 1] as Entry).extSeq > extSeq) i--;
    this.buf.splice(i, 0, { extSeq, extTs, seq: p.seq, ts: p.timestamp, payload: p.payload, marker: p.marker === true });
    if (this.buf.length > this.o.maxPackets) {
      this.s.overflows++;
      while (this.buf.length > this.o.maxPackets) {
        const old = this.buf.shift() as Entry;
        this.s.overflowDropped++;
        if (old.extSeq >= this.nextSeq) this.advancePast(old);
      }
    }
  }

  private measure(arrivalMs: number, extTs: number): void {
    const d = arrivalMs - this.mediaMs(extTs);
    this.drift.add(arrivalMs, d);
    const floor = this.drift.floorAt(arrivalMs) ?? d;
    this.tc.observe(arrivalMs, d - floor, this.drift.lastJumpMs);
  }

  /** The slot's packet is missing: conceal it and let its time pass (the sequence number stays expected). */
  private skipSlot(reason: 'lost' | 'underrun'): PlayoutFrame {
    const spf = this.o.samplesPerFrame;
    const guess = this.nextSeq + Math.max(0, Math.round((this.pointerTs - this.expectTs) / spf));
    const ts = this.pointerTs;
    this.pointerTs += spf;
    return this.conceal(reason, guess, ts);
  }

  /** `e` was played or dropped: sequence numbers before it that never came are lost. */
  private advancePast(e: Entry): void {
    if (e.extSeq > this.nextSeq) this.markLost(this.nextSeq, e.extSeq);
    const next = this.buf[0];
    const dur = next && next.extSeq === e.extSeq + 1 && next.extTs > e.extTs ? next.extTs - e.extTs : this.o.samplesPerFrame;
    this.nextSeq = e.extSeq + 1;
    this.pointerTs = e.extTs + Math.min(dur, 16 * this.o.samplesPerFrame);
    this.expectTs = this.pointerTs;
  }

  private markLost(from: number, to: number): void {
    // Older than the ring: no longer recognisable, and never recoverable either (a late arrival that
    // far behind is out of range in `push`): counted, not marked.
    const start = Math.max(from, to - MAX_LOST_RUN);
    const ringFrom = Math.max(start, to - RING);
    this.s.lost += ringFrom - start;
    for (let q = ringFrom; q < to; q++) {
      const slot = ((q % RING) + RING) % RING;
      if (this.seenRing[slot] === q) continue;
      this.lostRing[slot] = q;
      this.s.lost++;
    }
  }

  private play(e: Entry, lPull: number, backlog: number): PlayoutFrame {
    this.s.framesPlayed++;
    this.tc.accountFrame(false);
    this.inConcealRun = false;
    this.inUnderrunRun = false;
    const adj = this.correction(lPull, backlog);
    return { kind: 'packet', payload: e.payload, seq: e.seq, timestamp: e.ts, marker: e.marker, adjustSamples: adj };
  }

  /**
   * Samples to insert (> 0) or remove (< 0) in the frame about to play.
   *
   * Two delays matter. Availability: a frame is there when its packet's r ≤ lPull (the delay at the
   * pull). Audible delay: lOut = lPull + backlog. Whole frames are pulled on the output's clock (every
   * P = pullPeriodMs), so lPull can only change by steps of P (a pull one tick earlier or later, once
   * the output's backlog wraps), while stretching moves the backlog by samples:
   * - removing k ≤ backlog samples lowers lOut at no cost to availability;
   * - removing more makes the output pull the next frame one tick early (lPull − P);
   * - inserting raises the backlog until it wraps (one tick later: lPull + P).
   * Without drift the best state is backlog ≈ 0 and lPull the lowest value ≥ target that the tick
   * phase allows (target ≤ lPull < target + P). With clock drift the backlog must absorb a steady
   * insertion or removal and so sweeps [0, P) (one wrap every P/|drift| seconds); keeping lPull
   * ≥ target throughout then needs lOut ≥ target + P, so the buffer holds lOut flat at
   * target + P + deadband (± deadband/2) once a drift of at least DRIFT_FLAT_PPM is measured.
   * The target used here is capped at maxDelayMs − P so that the level respects the maximum.
   */
  private correction(lPull: number, backlog: number): number {
    const spf = this.o.samplesPerFrame;
    const unitsPerMs = this.o.rtpClockRate / 1000;
    const db = this.o.deadbandMs;
    const period = this.o.pullPeriodMs;
    // Respect the maximum: the pull-time delay may sit on the grid point just below maxDelayMs rather
    // than just above it (then lOut < maxDelayMs + deadband, not up to maxDelayMs + period).
    const target = Math.max(this.o.minDelayMs, Math.min(this.tc.targetMs, this.o.maxDelayMs - period));
    const ePull = lPull - target;
    const maxShrink = (ePull > this.o.fastShrinkAboveMs ? this.o.fastShrinkFraction : this.o.maxShrinkFraction) * spf;
    const maxGrow = this.o.maxGrowFraction * spf;
    const gainUnits = this.o.gain * unitsPerMs;
    const drift = this.o.driftCompensation ? this.drift.driftPpm : 0;
    let want = drift * 1e-6 * spf;
    if (Math.abs(drift) >= DRIFT_FLAT_PPM) {
      const err = lPull + backlog - (target + period + db);
      if (ePull < 0) want += Math.min(maxGrow, gainUnits * (db - ePull));
      else if (err > db / 2) want -= Math.min(maxShrink, gainUnits * err);
      else if (err < -db / 2) want += Math.min(maxGrow, gainUnits * -err);
    } else if (ePull < 0) {
      // Not enough time for packets to arrive: grow (the backlog wraps and the next pull is skipped).
      want += Math.min(maxGrow, gainUnits * (db - ePull) + 1);
    } else if (ePull > period + db / 4) {
      // More than a pull period to spare: shrink through a wrap.
      want -= Math.min(maxShrink, gainUnits * (ePull - period / 2) + 1);
    } else if (backlog > db / 4) {
      // Free: take back what the output holds without touching lPull.
      want -= Math.min(maxShrink, backlog * unitsPerMs);
    }
    this.adjustAcc += want;
    const adj = Math.trunc(this.adjustAcc);
    this.adjustAcc -= adj;
    if (adj > 0) this.s.samplesInserted += adj;
    else this.s.samplesDropped -= adj;
    return adj;
  }

  /**
   * Every missing frame has the same fields in the same order (absent ones undefined): one hidden class.
   * Frames of several shapes made the output's code that reads them deoptimise ("wrong map").
   */
  private missing(reason: MissingReason, timestamp?: number): PlayoutFrame {
    return { kind: 'missing', reason, seq: undefined, timestamp: timestamp === undefined ? undefined : ts32(timestamp), adjustSamples: 0 };
  }

  private conceal(reason: 'lost' | 'underrun', seq?: number, ts?: number): PlayoutFrame {
    this.s.concealedFrames++;
    this.tc.accountFrame(reason === 'underrun' && this.mode === 'adaptive');
    if (!this.inConcealRun) this.s.concealmentEvents++;
    this.inConcealRun = true;
    if (reason === 'underrun') {
      this.s.underrunFrames++;
      if (!this.inUnderrunRun) this.s.underruns++;
      this.inUnderrunRun = true;
    } else {
      this.inUnderrunRun = false;
    }
    return { kind: 'missing', reason, seq: seq === undefined ? undefined : seq16(seq), timestamp: ts32(ts ?? this.pointerTs), adjustSamples: 0 };
  }
}
