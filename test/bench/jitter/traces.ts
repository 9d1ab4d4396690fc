/**
 * Seeded network traces for scoring a receive jitter buffer.
 *
 * Implements the trace model of the bench specification (copied, with its source, into
 * test/fixtures/jitter/README.md). One row per RTP packet (plus one row per duplicate):
 * packet i is sent at `i · ptime · (1 + ppm·1e-6)` ms (receiver clock, from the trace start) and
 * arrives at `send + D0 + J + S + step`, with
 *   J  jitter: Gaussian AR(1) clipped at 0, or Lomax (Pareto II);
 *   S  delay spikes: Pareto height, capped, decaying 1 ms per ms;
 *   arrivals kept in order ≥ 0.02 ms apart, except reordered packets (just after their successor);
 *   duplicates 1 ms after their original; Gilbert–Elliott loss.
 *
 * Choices the definition leaves open (documented here, tested in test/media/jitter/traces.test.ts):
 * - PRNG: mulberry32, one stream per component (jitter, spikes, loss, reorder, dup), seeded with the
 *   32-bit FNV-1a hash of `acip-jitter/<component>/<seed>` (the profile name is not part of the seed,
 *   so the same seed draws the same numbers under every profile: profiles are comparable).
 * - Every component draws a fixed count of uniforms for every packet whatever the outcome (jitter AR:
 *   2 for one Box–Muller normal; Lomax: 1; spikes: 2; loss: 2; reorder: 1; dup: 1), so changing one knob
 *   (say the spike probability) never shifts another component's draws, nor its own later draws.
 * - AR(1) starts in its stationary distribution: a_0 = σ·z_0.
 * - Pareto height for spikes: x_s · U^(-1/α_s) (Pareto I, ≥ x_s), capped; a new spike only replaces
 *   the running one when it is higher than what is left of it.
 * - Gilbert–Elliott: start in the good state; per packet first the state transition, then the loss draw.
 * - Step (+80 ms) applies to packets whose send time is in [20 s, 40 s).
 * - Ordering: arrivals are made non-decreasing (≥ 0.02 ms apart) over all packets, lost ones included
 *   (the network queue holds them even if they are then dropped); a reordered packet i then arrives at
 *   (ordered arrival of i+1) + 0.01 ms. The last packet is never reordered.
 * - overload: a clean lan path whose ends were CPU-starved from 20 s to 50 s (see `starved`).
 * - slow_sender: baresip 1.0's L16 (4 ms packets) as acip receives it: its file source runs 2.5 % slower
 *   than real time (+25 000 ppm: far beyond a crystal's drift, within the drift estimator's ±3 % range)
 *   and its packets come in bursts of two to four, one every 8–16 ms (`starved` over the whole trace).
 * - l24_1ms drift is +10 ppm (the table says ±10; one sign is enough for a timing test).
 * - Sequence numbers start at 65000 and timestamps at 2^32 − 3 s of samples, so that every trace longer
 *   than ~11 s crosses both wrap-arounds (override with `startSeq` / `startTs`). RTP clock: 48 kHz.
 */
import { mulberry32 } from '../../helpers/prng.js';

/** The generator, re-exported for test/media/jitter/traces.test.ts (see test/helpers/prng.ts). */
export { mulberry32 };

export type JitterModel =
  | { kind: 'none' }
  | { kind: 'ar1'; sigma: number; rho: number }
  | { kind: 'lomax'; xm: number; alpha: number };

export interface TraceProfile {
  name: string;
  ptimeMs: number;
  d0Ms: number;
  jitter: JitterModel;
  spikes?: { p: number; xs: number; alpha: number; capMs: number };
  loss?: { p: number; r: number; hG: number; hB: number };
  reorder: number;
  dup: number;
  ppm: number;
  step?: { fromMs: number; toMs: number; addMs: number };
  /**
   * Start-up burst (not in the specification; added for acip's start-up test): the sender held its
   * first `packets` packets back and drains its queue at once when it starts sending (baresip's aufile,
   * ffmpeg's initial read burst), so packet i < packets is sent at (packets − 1)·ptime + i·spreadMs/(packets − 1)
   * instead of i·ptime; later packets keep their real-time schedule.
   */
  startBurst?: { packets: number; spreadMs: number };
  /**
   * Receiver stall (not in the specification): the receiving process was busy (call set-up, a GC pause)
   * from `atMs` for `lenMs`; packets that arrived meanwhile are read, and stamped, at its end.
   */
  stall?: { atMs: number; lenMs: number };
  /**
   * CPU starvation (not in the specification; added for acip's overload-recovery test): from `fromMs`
   * to `toMs` both ends were starved, so packets move in bursts: an arrival in that time is delivered
   * at the next of a series of read times spaced uniformly in [minGapMs, maxGapMs] (stream `starved`).
   */
  starved?: { fromMs: number; toMs: number; minGapMs: number; maxGapMs: number };
  /** Length used by the benchmark when the caller does not say. */
  defaultSeconds: number;
}

const lanJitter: JitterModel = { kind: 'ar1', sigma: 1, rho: 0.5 };

export const TRACE_PROFILES: Readonly<Record<string, TraceProfile>> = {
  clean: { name: 'clean', ptimeMs: 20, d0Ms: 5, jitter: { kind: 'none' }, reorder: 0, dup: 0, ppm: 0, defaultSeconds: 60 },
  lan: { name: 'lan', ptimeMs: 20, d0Ms: 5, jitter: lanJitter, reorder: 0, dup: 0, ppm: 0, defaultSeconds: 120 },
  wan: {
    name: 'wan', ptimeMs: 20, d0Ms: 20, jitter: { kind: 'ar1', sigma: 5, rho: 0.8 },
    spikes: { p: 0.002, xs: 20, alpha: 2.0, capMs: 300 },
    loss: { p: 0.005, r: 0.5, hG: 0.0005, hB: 0.5 },
    reorder: 0.002, dup: 0.0005, ppm: 0, defaultSeconds: 300,
  },
  mobile: {
    name: 'mobile', ptimeMs: 20, d0Ms: 40, jitter: { kind: 'lomax', xm: 20, alpha: 3 },
    spikes: { p: 0.003, xs: 50, alpha: 1.5, capMs: 500 },
    loss: { p: 0.01, r: 0.3, hG: 0.001, hB: 0.5 },
    reorder: 0.01, dup: 0.001, ppm: 0, defaultSeconds: 300,
  },
  step: {
    name: 'step', ptimeMs: 20, d0Ms: 20, jitter: { kind: 'ar1', sigma: 2, rho: 0.5 },
    reorder: 0, dup: 0, ppm: 0, step: { fromMs: 20_000, toMs: 40_000, addMs: 80 }, defaultSeconds: 60,
  },
  drift_p100: { name: 'drift_p100', ptimeMs: 20, d0Ms: 5, jitter: lanJitter, reorder: 0, dup: 0, ppm: 100, defaultSeconds: 600 },
  drift_m100: { name: 'drift_m100', ptimeMs: 20, d0Ms: 5, jitter: lanJitter, reorder: 0, dup: 0, ppm: -100, defaultSeconds: 600 },
  startup: {
    name: 'startup', ptimeMs: 20, d0Ms: 5, jitter: { kind: 'none' }, reorder: 0, dup: 0, ppm: 0,
    startBurst: { packets: 25, spreadMs: 2 }, stall: { atMs: 700, lenMs: 150 }, defaultSeconds: 30,
  },
  overload: {
    name: 'overload', ptimeMs: 20, d0Ms: 5, jitter: lanJitter, reorder: 0, dup: 0, ppm: 0,
    starved: { fromMs: 20_000, toMs: 50_000, minGapMs: 40, maxGapMs: 140 }, defaultSeconds: 110,
  },
  slow_sender: {
    name: 'slow_sender', ptimeMs: 4, d0Ms: 1, jitter: { kind: 'ar1', sigma: 0.3, rho: 0.5 }, reorder: 0, dup: 0, ppm: 25_000,
    starved: { fromMs: 0, toMs: 3_600_000, minGapMs: 8, maxGapMs: 16 }, defaultSeconds: 30,
  },
  l24_1ms: {
    name: 'l24_1ms', ptimeMs: 1, d0Ms: 1, jitter: { kind: 'ar1', sigma: 0.3, rho: 0.5 },
    spikes: { p: 0.0005, xs: 5, alpha: 2, capMs: 20 },
    loss: { p: 0.001, r: 0.5, hG: 0, hB: 0.3 },
    reorder: 0, dup: 0, ppm: 10, defaultSeconds: 60,
  },
};

export const PROFILE_NAMES = ['clean', 'startup', 'lan', 'wan', 'mobile', 'step', 'overload', 'slow_sender', 'drift_p100', 'drift_m100', 'l24_1ms'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export const TRACE_CLOCK_RATE = 48_000;

export interface TraceRow {
  /** 16-bit RTP sequence number (wraps). */
  seq: number;
  /** 32-bit RTP timestamp (wraps). */
  rtpTs: number;
  /** Packet index in the sent stream (0-based; a duplicate repeats its original's index). */
  index: number;
  sendMs: number;
  /** null: lost in the network. */
  arrivalMs: number | null;
  /** '' | 'R' (reordered) | 'D' (duplicate). */
  flags: string;
}

export interface Trace {
  profile: TraceProfile;
  seed: number;
  seconds: number;
  ptimeMs: number;
  clockRate: number;
  samplesPerFrame: number;
  /** Number of packets sent (rows minus duplicates). */
  packets: number;
  rows: TraceRow[];
}

export interface TraceOptions {
  profile: ProfileName | TraceProfile;
  seed: number;
  seconds?: number;
  /** Overrides the profile's packet time. */
  ptimeMs?: number;
  startSeq?: number;
  startTs?: number;
}

/** 32-bit FNV-1a over the UTF-16 code units of `s` (ASCII here). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}


export function componentStream(component: string, seed: number): () => number {
  return mulberry32(fnv1a32(`acip-jitter/${component}/${seed}`));
}

/** Standard normal from two uniforms (Box–Muller, cosine branch only: exactly 2 draws per normal). */
function normal(u: () => number): number {
  const u1 = 1 - u(); // (0, 1]
  const u2 = u();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export function generateTrace(opts: TraceOptions): Trace {
  const profile = typeof opts.profile === 'string' ? TRACE_PROFILES[opts.profile] : opts.profile;
  if (!profile) throw new Error(`unknown jitter trace profile ${String(opts.profile)}`);
  const seconds = opts.seconds ?? profile.defaultSeconds;
  const ptimeMs = opts.ptimeMs ?? profile.ptimeMs;
  const samplesPerFrame = Math.round((TRACE_CLOCK_RATE * ptimeMs) / 1000);
  const n = Math.floor((seconds * 1000) / ptimeMs);
  const startSeq = opts.startSeq ?? 65_000;
  const startTs = opts.startTs ?? 2 ** 32 - 3 * TRACE_CLOCK_RATE;

  const rJitter = componentStream('jitter', opts.seed);
  const rSpike = componentStream('spikes', opts.seed);
  const rLoss = componentStream('loss', opts.seed);
  const rReorder = componentStream('reorder', opts.seed);
  const rDup = componentStream('dup', opts.seed);

  const send = new Float64Array(n);
  const ordered = new Float64Array(n);
  const lost = new Uint8Array(n);
  const reordered = new Uint8Array(n);
  const dup = new Uint8Array(n);

  let ar = 0;
  let spikeStart = 0;
  let spikeHeight = 0;
  let bad = false;
  let prevArrival = -Infinity;
  const reads = starvedReads(profile, opts.seed);
  let readAt = 0;
  for (let i = 0; i < n; i++) {
    const burst = profile.startBurst;
    const s = burst && i < burst.packets
      ? ((burst.packets - 1) * ptimeMs + (burst.packets > 1 ? (i * burst.spreadMs) / (burst.packets - 1) : 0)) * (1 + profile.ppm * 1e-6)
      : i * ptimeMs * (1 + profile.ppm * 1e-6);
    send[i] = s;

    let j = 0;
    const jm = profile.jitter;
    if (jm.kind === 'ar1') {
      const z = normal(rJitter);
      ar = i === 0 ? jm.sigma * z : jm.rho * ar + jm.sigma * Math.sqrt(1 - jm.rho * jm.rho) * z;
      j = Math.max(0, ar);
    } else if (jm.kind === 'lomax') {
      const u = 1 - rJitter(); // (0, 1]
      j = jm.xm * (Math.pow(u, -1 / jm.alpha) - 1);
    }

    let spike = 0;
    {
      const u1 = rSpike();
      const u2 = 1 - rSpike();
      const sp = profile.spikes;
      if (sp) {
        const left = Math.max(0, spikeHeight - (s - spikeStart));
        if (u1 < sp.p) {
          const h = Math.min(sp.capMs, sp.xs * Math.pow(u2, -1 / sp.alpha));
          if (h > left) {
            spikeStart = s;
            spikeHeight = h;
          }
        }
        spike = Math.max(0, spikeHeight - (s - spikeStart));
      }
    }

    {
      const u1 = rLoss();
      const u2 = rLoss();
      const ge = profile.loss;
      if (ge) {
        bad = bad ? !(u1 < ge.r) : u1 < ge.p;
        lost[i] = u2 < (bad ? ge.hB : ge.hG) ? 1 : 0;
      }
    }
    reordered[i] = rReorder() < profile.reorder && i + 1 < n ? 1 : 0;
    dup[i] = rDup() < profile.dup ? 1 : 0;

    const step = profile.step && s >= profile.step.fromMs && s < profile.step.toMs ? profile.step.addMs : 0;
    let a = s + profile.d0Ms + j + spike + step;
    const sv = profile.starved;
    if (sv && a >= sv.fromMs && a < sv.toMs) {
      // Held until the next read (a burst of everything that came since the last one).
      while (readAt < reads.length && (reads[readAt] as number) < a) readAt++;
      a = reads[readAt] ?? sv.toMs;
    }
    if (a < prevArrival + 0.02) a = prevArrival + 0.02;
    const st = profile.stall;
    if (st && a >= st.atMs && a < st.atMs + st.lenMs) a = Math.max(st.atMs + st.lenMs, prevArrival + 0.02);
    ordered[i] = a;
    prevArrival = a;
  }

  const rows: TraceRow[] = [];
  for (let i = 0; i < n; i++) {
    const seq = (startSeq + i) % 0x1_0000;
    const rtpTs = (startTs + i * samplesPerFrame) % 0x1_0000_0000;
    const r = reordered[i] === 1;
    const arrival = lost[i] ? null : r ? (ordered[i + 1] as number) + 0.01 : (ordered[i] as number);
    const sendMs = send[i] as number;
    rows.push({ seq, rtpTs, index: i, sendMs, arrivalMs: arrival, flags: r ? 'R' : '' });
    if (arrival !== null && dup[i]) rows.push({ seq, rtpTs, index: i, sendMs, arrivalMs: arrival + 1, flags: 'D' });
  }
  return { profile, seed: opts.seed, seconds, ptimeMs, clockRate: TRACE_CLOCK_RATE, samplesPerFrame, packets: n, rows };
}

/** Read times of a starved receiver (see TraceProfile.starved), ending at or after its end. */
function starvedReads(profile: TraceProfile, seed: number): number[] {
  const sv = profile.starved;
  if (!sv) return [];
  const u = componentStream('starved', seed);
  const reads: number[] = [];
  for (let t = sv.fromMs; t < sv.toMs; ) {
    t += sv.minGapMs + (sv.maxGapMs - sv.minGapMs) * u();
    reads.push(t);
  }
  return reads;
}

/** CSV in the definition's column order: `seq,rtp_ts,send_ms,arrival_ms,flags` (arrival empty = lost). */
export function traceToCsv(trace: Trace): string {
  const lines = ['seq,rtp_ts,send_ms,arrival_ms,flags'];
  for (const r of trace.rows) {
    lines.push(`${r.seq},${r.rtpTs},${r.sendMs.toFixed(3)},${r.arrivalMs === null ? '' : r.arrivalMs.toFixed(3)},${r.flags}`);
  }
  return lines.join('\n') + '\n';
}

/** Rows that arrived, in arrival order (stable for ties): what a receiver sees. */
export function arrivalsInOrder(trace: Trace): TraceRow[] {
  return trace.rows
    .filter((r): r is TraceRow & { arrivalMs: number } => r.arrivalMs !== null)
    .map((r, k) => ({ r, k }))
    .sort((x, y) => (x.r.arrivalMs as number) - (y.r.arrivalMs as number) || x.k - y.k)
    .map((x) => x.r);
}

/** Stationary Gilbert–Elliott loss rate: π_B·h_B + π_G·h_G with π_B = p/(p+r). */
export function expectedLossRate(profile: TraceProfile): number {
  const ge = profile.loss;
  if (!ge) return 0;
  const piB = ge.p / (ge.p + ge.r);
  return piB * ge.hB + (1 - piB) * ge.hG;
}
