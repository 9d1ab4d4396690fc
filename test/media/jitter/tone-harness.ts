/**
 * A 1 kHz tone through the jitter buffer and the playout adapter on the fake clock, as the media session
 * runs them, and the measure of how clean the output is: the residual of a sine fit per 100 ms window.
 * Packets carry their packet index; the fake decoder renders the tone at the sender's sample clock;
 * concealment repeats the last decoded frame (for this tone, phase-continuous), so a window can only fail
 * through the buffer's own splices. Shared by the tone-continuity and drift tests.
 */
import { JitterBuffer } from '../../../server/media/jitter-buffer.js';
import { PlayoutAdapter } from '../../../server/media/playout-adapter.js';
import type { SpliceMode } from '../../../server/media/drift-corrector.js';
import { arrivalsInOrder, componentStream, generateTrace, type ProfileName, type TraceProfile } from '../../bench/jitter/traces.js';

export const RATE = 48_000;
export const TONE_HZ = 1000;
const AMP = 0.5;
const WINDOW = RATE / 10;

export interface ToneRun {
  out: Float32Array;
  /** Samples inserted + removed by the corrector. */
  stretched: number;
  inserted: number;
  removed: number;
  resyncs: number;
}

/** Plays the tone over `seconds` of the trace, pulled every `tickMs` (the media session: min(ptime, 5 ms)). */
export function playTone(profile: ProfileName | TraceProfile, seed: number, seconds: number, splice: SpliceMode, tickMs = 5): ToneRun {
  const trace = generateTrace({ profile, seed, seconds });
  const spf = trace.samplesPerFrame;
  const tickSamples = (RATE * tickMs) / 1000;
  const jb = new JitterBuffer({ mode: 'adaptive', minDelayMs: 0, maxDelayMs: 300, pullPeriodMs: tickMs, ptimeMs: trace.ptimeMs, rtpClockRate: RATE, samplesPerFrame: spf });
  let last = new Float32Array(spf);
  const adapter = new PlayoutAdapter({
    buffer: jb, channels: 1, sampleRate: RATE, frameSamples: tickSamples, codecFrameSamples: spf, splice,
    decode: (payload) => {
      const index = payload.readUInt32BE(0);
      const pcm = new Float32Array(spf);
      for (let j = 0; j < spf; j++) pcm[j] = AMP * Math.sin((2 * Math.PI * TONE_HZ * (index * spf + j)) / RATE);
      last = pcm;
      return pcm;
    },
    conceal: () => last.slice(),
  });
  const arrivals = arrivalsInOrder(trace);
  const phase = componentStream('tick-phase', seed)() * trace.ptimeMs;
  const endMs = (arrivals[arrivals.length - 1]?.arrivalMs as number) - 200;
  const ticks = Math.floor((endMs - phase) / tickMs);
  const out = new Float32Array(ticks * tickSamples);
  let a = 0;
  for (let k = 0; k < ticks; k++) {
    const now = phase + k * tickMs;
    while (a < arrivals.length && (arrivals[a]!.arrivalMs as number) <= now) {
      const r = arrivals[a++]!;
      const payload = Buffer.alloc(4);
      payload.writeUInt32BE(r.index);
      jb.push({ seq: r.seq, timestamp: r.rtpTs, payload, arrivalMs: r.arrivalMs as number });
    }
    out.set(adapter.tick(now), k * tickSamples);
  }
  const st = adapter.stats();
  return { out, stretched: st.samplesInserted + st.samplesRemoved, inserted: st.samplesInserted, removed: st.samplesRemoved, resyncs: jb.stats().resyncs };
}

/** Residual of the best fit of (a + b·t)·sin + (c + d·t)·cos at TONE_HZ, in dB against the fitted tone. */
export function sineResidualDb(x: Float32Array): number {
  const n = x.length;
  const basis = (i: number): number[] => {
    const w = (2 * Math.PI * TONE_HZ * i) / RATE;
    const t = (2 * i) / n - 1;
    return [Math.sin(w), Math.cos(w), t * Math.sin(w), t * Math.cos(w)];
  };
  const m = 4;
  const ata = Array.from({ length: m }, () => new Float64Array(m));
  const atb = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const b = basis(i);
    for (let r = 0; r < m; r++) {
      atb[r]! += b[r]! * x[i]!;
      for (let c = 0; c < m; c++) ata[r]![c]! += b[r]! * b[c]!;
    }
  }
  for (let p = 0; p < m; p++) {
    for (let r = p + 1; r < m; r++) {
      const f = ata[r]![p]! / ata[p]![p]!;
      for (let c = p; c < m; c++) ata[r]![c]! -= f * ata[p]![c]!;
      atb[r]! -= f * atb[p]!;
    }
  }
  const coef = new Float64Array(m);
  for (let r = m - 1; r >= 0; r--) {
    let s = atb[r]!;
    for (let c = r + 1; c < m; c++) s -= ata[r]![c]! * coef[c]!;
    coef[r] = s / ata[r]![r]!;
  }
  let res = 0;
  let fit = 0;
  for (let i = 0; i < n; i++) {
    const b = basis(i);
    let y = 0;
    for (let r = 0; r < m; r++) y += coef[r]! * b[r]!;
    res += (x[i]! - y) ** 2;
    fit += y * y;
  }
  return 10 * Math.log10(res / Math.max(fit, 1e-20));
}

/** dB residual of every 100 ms window from the first played (non-zero) sample on. */
export function windowResiduals(out: Float32Array): number[] {
  const first = out.findIndex((v) => v !== 0);
  const res: number[] = [];
  for (let s = first; s + WINDOW <= out.length; s += WINDOW) res.push(sineResidualDb(out.subarray(s, s + WINDOW)));
  return res;
}
