/**
 * The jitter buffer's options, input packets, output frames and statistics, and the validation of its
 * options (jitter-buffer.ts re-exports all of it: importers keep using that module).
 */
import type { DriftEstimatorOptions } from './drift-estimator.js';
import { AcipError } from '../util/errors.js';

export type JitterBufferMode = 'fixed' | 'adaptive';

export interface JitterBufferOptions {
  mode: JitterBufferMode;
  /** Fixed mode: the delay to hold (ms above the fastest transit). Defaults to minDelayMs. */
  fixedDelayMs?: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Nominal frame duration (ms). */
  ptimeMs: number;
  /**
   * How often the output pulls (its tick period, ms; default ptimeMs, at most ptimeMs). Frames are
   * still whole packets, but a frame can only be taken at a pull, so the delay sits on a grid of this
   * step: with pulls every ptime, up to a whole frame of delay is lost to the phase between packet
   * arrivals and ticks; with pulls every 5 ms at most 5 ms (see `correction`).
   */
  pullPeriodMs?: number;
  rtpClockRate: number;
  /** RTP timestamp units per packet. */
  samplesPerFrame: number;
  /** Most packets held; beyond it the oldest is dropped. Default: enough for 2 × maxDelay + 1 s. */
  maxPackets?: number;
  /** Adaptive: starting target before any statistics (default clamp(40, min, max)). */
  initialDelayMs?: number;
  /** Adaptive: quantile of relative delay to cover (default 0.99). */
  quantile?: number;
  /**
   * Adaptive: jitter-induced concealment to aim for, as a fraction of output frames (default 0.01;
   * 0 = always use `quantile`). The buffer measures its own rate of late packets and stall frames
   * (30 s average) and slowly moves the quantile it covers (from `quantile`, within 0.97–0.999) to hold
   * that rate at the budget: a heavy-tailed network gets a higher quantile, a calm one a lower delay.
   * (3GPP TS 26.114 §8.2.3 asks at most 1 % jitter-induced concealment.)
   */
  jicoBudget?: number;
  /** Adaptive: added to the quantile (default 0). */
  marginMs?: number;
  /** Adaptive: time constant of the histogram's forgetting (default 60 s). */
  forgetMs?: number;
  /** Adaptive: start-up forgetting weight of the histogram (default 5; 0 = off; see jb-delay-histogram.ts). */
  startForgetWeight?: number;
  /** No correction while |L − target| is within this (default max(1, ptime/8) ms). */
  deadbandMs?: number;
  /** Fraction of the level error corrected per frame (default 0.1). */
  gain?: number;
  /** Most removed per frame, as a fraction of samplesPerFrame (default 0.1). */
  maxShrinkFraction?: number;
  /** Most removed per frame while the delay is more than `fastShrinkAboveMs` above target (default 0.5). */
  fastShrinkFraction?: number;
  /** Default max(3 · ptime, 40) ms. */
  fastShrinkAboveMs?: number;
  /** Most inserted per frame, as a fraction of samplesPerFrame (default 0.1). */
  maxGrowFraction?: number;
  /** Apply the drift estimate as a feed-forward correction (default true). */
  driftCompensation?: boolean;
  drift?: DriftEstimatorOptions;
}

export interface IncomingPacket {
  seq: number;
  timestamp: number;
  payload: Buffer;
  arrivalMs: number;
  marker?: boolean;
}

export type MissingReason = 'lost' | 'underrun' | 'not-started' | 'gap';

export type PlayoutFrame =
  | {
      kind: 'packet';
      payload: Buffer;
      seq: number;
      timestamp: number;
      marker: boolean;
      /** Samples (RTP timestamp units, per channel) to remove (< 0) or insert (> 0) in this frame's PCM. */
      adjustSamples: number;
    }
  | {
      kind: 'missing';
      reason: MissingReason;
      /** Sequence number of the skipped packet (reason `lost`, and `underrun` in fixed mode). */
      seq?: number;
      /** RTP timestamp of the slot being concealed, once the stream has started. */
      timestamp?: number;
      adjustSamples: number;
    };

export interface JitterBufferStats {
  mode: JitterBufferMode;
  currentDelayMs: number;
  targetDelayMs: number;
  /** Media held ahead of the playout position (ms). */
  bufferedMs: number;
  bufferedPackets: number;
  received: number;
  /** Slots concealed as lost whose packet never came (late arrivals are moved to `late`). */
  lost: number;
  late: number;
  duplicate: number;
  reordered: number;
  /** Packets dropped because the buffer held maxPackets. */
  overflowDropped: number;
  /** Overflow events (packet-count overflow or delay above maxDelayMs). */
  overflows: number;
  /** Packets with a sequence jump beyond the RFC 3550 A.1 limits that did not lead to a resync. */
  outOfRange: number;
  resyncs: number;
  /** Frames returned `missing` for lost, underrun (not not-started or gap). */
  concealedFrames: number;
  /** Runs of consecutive concealed frames. */
  concealmentEvents: number;
  underrunFrames: number;
  /** Runs of consecutive underrun frames. */
  underruns: number;
  gapFrames: number;
  framesPlayed: number;
  /** Frames skipped without playing because the delay exceeded maxDelayMs. */
  framesDropped: number;
  samplesInserted: number;
  samplesDropped: number;
  driftPpm: number;
  routeChanges: number;
}

export function validateJitterBufferOptions(o: JitterBufferOptions): void {
  const bad = (field: string, why: string): never => {
    throw new AcipError('JB_BAD_OPTION', `jitter buffer option ${field}: ${why}`, field);
  };
  if (o.mode !== 'fixed' && o.mode !== 'adaptive') bad('mode', 'must be fixed or adaptive');
  if (!(o.ptimeMs > 0)) bad('ptimeMs', 'must be > 0');
  if (o.pullPeriodMs !== undefined && !(o.pullPeriodMs > 0 && o.pullPeriodMs <= o.ptimeMs)) bad('pullPeriodMs', 'must be in (0, ptimeMs]');
  if (!(o.rtpClockRate > 0)) bad('rtpClockRate', 'must be > 0');
  if (!(o.samplesPerFrame > 0) || !Number.isInteger(o.samplesPerFrame)) bad('samplesPerFrame', 'must be a positive integer');
  if (!(o.minDelayMs >= 0)) bad('minDelayMs', 'must be ≥ 0');
  if (!(o.maxDelayMs >= o.minDelayMs)) bad('maxDelayMs', 'must be ≥ minDelayMs');
  if (o.fixedDelayMs !== undefined && !(o.fixedDelayMs >= 0 && o.fixedDelayMs <= o.maxDelayMs)) bad('fixedDelayMs', 'must be in [0, maxDelayMs]');
  if (o.maxPackets !== undefined && !(o.maxPackets >= 2)) bad('maxPackets', 'must be ≥ 2');
  if (o.quantile !== undefined && !(o.quantile > 0 && o.quantile < 1)) bad('quantile', 'must be in (0, 1)');
  if (o.jicoBudget !== undefined && !(o.jicoBudget >= 0 && o.jicoBudget < 0.5)) bad('jicoBudget', 'must be in [0, 0.5)');
}
