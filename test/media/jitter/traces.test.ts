import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  TRACE_PROFILES, expectedLossRate, generateTrace, mulberry32, fnv1a32, traceToCsv, type TraceProfile, type TraceRow,
} from '../../bench/jitter/traces.js';

/** The model is in test/fixtures/jitter/README.md (copied from the shared benchmark definition). */
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const owd = (rows: TraceRow[], d0: number) =>
  rows.filter((r) => r.arrivalMs !== null && r.flags === '').map((r) => (r.arrivalMs as number) - r.sendMs - d0).sort((a, b) => a - b);
const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] as number;

describe('seeded jitter traces', () => {
  it('gives the same trace bit for bit for the same profile, seed, length and packet time', () => {
    for (const profile of ['wan', 'mobile', 'l24_1ms'] as const) {
      const a = traceToCsv(generateTrace({ profile, seed: 3, seconds: 30 }));
      const b = traceToCsv(generateTrace({ profile, seed: 3, seconds: 30 }));
      expect(sha(a)).toBe(sha(b));
      expect(sha(a)).not.toBe(sha(traceToCsv(generateTrace({ profile, seed: 4, seconds: 30 }))));
    }
    const t1 = generateTrace({ profile: 'mobile', seed: 2, seconds: 20 });
    const t2 = generateTrace({ profile: 'mobile', seed: 2, seconds: 20 });
    expect(t1.rows).toEqual(t2.rows); // exact doubles, not just the printed CSV
  });

  it('uses a known generator: mulberry32 seeded by FNV-1a', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    const r = mulberry32(1);
    const xs = Array.from({ length: 1000 }, () => r());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeGreaterThan(0.45);
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeLessThan(0.55);
  });

  it('keeps one random stream per component: changing the spikes leaves loss, reordering and jitter alone', () => {
    const wan = TRACE_PROFILES.wan as TraceProfile;
    const noSpikes: TraceProfile = { ...wan, spikes: { ...wan.spikes!, p: 0 } };
    const a = generateTrace({ profile: wan, seed: 1, seconds: 120 });
    const b = generateTrace({ profile: noSpikes, seed: 1, seconds: 120 });
    expect(a.rows.map((r) => r.arrivalMs === null)).toEqual(b.rows.map((r) => r.arrivalMs === null));
    expect(a.rows.map((r) => r.flags)).toEqual(b.rows.map((r) => r.flags));
    const diff = a.rows.filter((r, i) => r.arrivalMs !== b.rows[i]!.arrivalMs).length;
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(a.rows.length / 2);
  });

  it('sends packet i at i · ptime · (1 + ppm·1e-6), wraps sequence numbers and timestamps', () => {
    const t = generateTrace({ profile: 'drift_p100', seed: 1, seconds: 60 });
    for (const i of [0, 1, 1000, 2999]) expect(t.rows[i]!.sendMs).toBe(i * 20 * (1 + 100e-6));
    expect(t.rows.some((r) => r.seq === 65535)).toBe(true);
    expect(t.rows.some((r) => r.seq === 0)).toBe(true);
    const wrapIdx = t.rows.findIndex((r, i) => i > 0 && r.rtpTs < t.rows[i - 1]!.rtpTs);
    expect(wrapIdx).toBeGreaterThan(0);
    expect((t.rows[wrapIdx]!.rtpTs - t.rows[wrapIdx - 1]!.rtpTs + 2 ** 32) % 2 ** 32).toBe(960);
    const m = generateTrace({ profile: 'drift_m100', seed: 1, seconds: 60 });
    expect(m.rows[2999]!.sendMs).toBe(2999 * 20 * (1 - 100e-6));
  });

  it('keeps arrivals in order at least 0.02 ms apart, except reordered packets just after their successor and duplicates 1 ms after their original', () => {
    const t = generateTrace({ profile: 'mobile', seed: 5, seconds: 120 });
    const originals = t.rows.filter((r) => r.flags !== 'D');
    let prev = -Infinity;
    for (let i = 0; i < originals.length; i++) {
      const r = originals[i]!;
      if (r.arrivalMs === null || r.flags === 'R') continue;
      expect(r.arrivalMs).toBeGreaterThanOrEqual(prev + 0.02 - 1e-9);
      prev = r.arrivalMs;
    }
    const reordered = originals.filter((r) => r.flags === 'R' && r.arrivalMs !== null);
    expect(reordered.length).toBeGreaterThan(0);
    for (const r of reordered) {
      const next = originals[r.index + 1]!;
      if (next.arrivalMs !== null && next.flags === '') expect(r.arrivalMs! - next.arrivalMs).toBeCloseTo(0.01, 9);
    }
    for (const d of t.rows.filter((r) => r.flags === 'D')) {
      const orig = originals[d.index]!;
      expect(d.arrivalMs! - orig.arrivalMs!).toBeCloseTo(1, 9);
      expect(d.seq).toBe(orig.seq);
    }
  });

  it('has the profile statistics: clean is exact, lan and step jitter, the +80 ms step', () => {
    const clean = generateTrace({ profile: 'clean', seed: 1 });
    expect(clean.rows.every((r) => Math.abs(r.arrivalMs! - r.sendMs - 5) < 1e-9)).toBe(true);
    const lan = owd(generateTrace({ profile: 'lan', seed: 1 }).rows, 5);
    // AR(1) σ 1 clipped at 0: median ≈ 0, p95 ≈ 1.64 σ.
    expect(q(lan, 0.5)).toBeLessThan(0.1);
    expect(q(lan, 0.95)).toBeGreaterThan(1.3);
    expect(q(lan, 0.95)).toBeLessThan(2.0);
    const step = generateTrace({ profile: 'step', seed: 2 });
    const inStep = owd(step.rows.filter((r) => r.sendMs >= 21_000 && r.sendMs < 39_000), 20);
    const outStep = owd(step.rows.filter((r) => r.sendMs >= 41_000), 20);
    expect(q(inStep, 0.01)).toBeGreaterThan(79);
    expect(q(outStep, 0.99)).toBeLessThan(10);
    const l24 = generateTrace({ profile: 'l24_1ms', seed: 1, seconds: 10 });
    expect(l24.samplesPerFrame).toBe(48);
    expect(l24.packets).toBe(10_000);
  });

  it('loses packets at the Gilbert–Elliott rate and reorders and duplicates at the set rates (seeds 1–5 pooled)', () => {
    for (const name of ['wan', 'mobile'] as const) {
      const p = TRACE_PROFILES[name] as TraceProfile;
      let sent = 0;
      let lost = 0;
      let reordered = 0;
      let dups = 0;
      let spikeJitter: number[] = [];
      for (let seed = 1; seed <= 5; seed++) {
        const t = generateTrace({ profile: name, seed });
        sent += t.packets;
        lost += t.rows.filter((r) => r.arrivalMs === null).length;
        reordered += t.rows.filter((r) => r.flags === 'R').length;
        dups += t.rows.filter((r) => r.flags === 'D').length;
        spikeJitter = spikeJitter.concat(owd(t.rows, p.d0Ms));
      }
      const rate = lost / sent;
      const expected = expectedLossRate(p);
      expect(rate, `${name} loss`).toBeGreaterThan(expected * 0.6);
      expect(rate, `${name} loss`).toBeLessThan(expected * 1.6);
      expect(reordered / sent).toBeGreaterThan(p.reorder * 0.6);
      expect(reordered / sent).toBeLessThan(p.reorder * 1.6);
      expect(dups / sent).toBeGreaterThan(p.dup * 0.3);
      expect(dups / sent).toBeLessThan(p.dup * 2.5);
      spikeJitter.sort((a, b) => a - b);
      if (name === 'wan') {
        // AR(1) σ 5 clipped at 0, plus rare spikes: p95 ≈ 8 ms, max up to the 300 ms cap.
        expect(q(spikeJitter, 0.95)).toBeGreaterThan(6);
        expect(q(spikeJitter, 0.95)).toBeLessThan(12);
        expect(q(spikeJitter, 1 - 1e-9)).toBeLessThanOrEqual(300 + 20);
      } else {
        // Lomax x_m 20, α 3: median 20·(2^(1/3) − 1) ≈ 5.2 ms before ordering; ordering only delays.
        expect(q(spikeJitter, 0.5)).toBeGreaterThan(5);
        expect(q(spikeJitter, 0.95)).toBeGreaterThan(34);
      }
    }
  });
});
