import { describe, expect, it } from 'vitest';
import { HeavyTailTarget, type EpisodeState } from '../../../server/media/jb-heavy-tail.js';
import { simulateTrace, type JitterScores } from '../../bench/jitter/simulate.js';
import { generateTrace } from '../../bench/jitter/traces.js';
import { mulberry32 } from '../../helpers/prng.js';

/**
 * The heavy-tailed target (jb-heavy-tail.ts), fake clock: packet by packet with relative delays r from
 * seeded distributions, 20 ms packets, then the whole buffer on the seeded mobile traces.
 */
const PTIME = 20;
const OPTS = { ptimeMs: PTIME, minDelayMs: 0, maxDelayMs: 300, startForgetWeight: 5 };

const u = mulberry32(3);
const DISTRIBUTIONS: Record<string, () => number> = {
  // The mobile trace's body: Lomax x_m 20 ms, α 3 (p90 ≈ 23 ms, p99 ≈ 73 ms).
  lomax: () => 20 * (Math.pow(1 - u(), -1 / 3) - 1),
  // A WAN: Gaussian σ 5 ms, clipped at 0.
  gaussian: () => Math.max(0, 5 * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())),
  // A starved reader: packets 0–140 ms late, uniformly (the body itself is wide).
  bursts: () => 140 * u(),
  // A LAN: 0–4 ms.
  lan: () => 4 * u(),
};

function feed(h: HeavyTailTarget, fromMs: number, seconds: number, r: () => number, episode: EpisodeState = 'none'): number {
  const n = (seconds * 1000) / PTIME;
  for (let i = 0; i < n; i++) h.observe(fromMs + i * PTIME, r(), 0, 40, episode);
  return fromMs + n * PTIME;
}

describe('HeavyTailTarget regime', () => {
  const rows: { name: string; heavy: boolean; episode?: EpisodeState }[] = [
    { name: 'lomax', heavy: true },
    { name: 'gaussian', heavy: false },
    { name: 'bursts', heavy: false },
    { name: 'lan', heavy: false },
    { name: 'lomax', heavy: false, episode: 'confirmed' },
  ];
  for (const { name, heavy, episode } of rows) {
    it(`${heavy ? 'takes' : 'does not take'} ${name} delays${episode ? ` during a ${episode} disturbance` : ''} for a heavy tail`, () => {
      const h = new HeavyTailTarget(OPTS);
      feed(h, 0, 10, DISTRIBUTIONS[name] as () => number, episode);
      expect(h.isActive).toBe(heavy);
    });
  }

  it('leaves the regime once the path calms down for long enough', () => {
    const h = new HeavyTailTarget(OPTS);
    let t = feed(h, 0, 10, DISTRIBUTIONS.lomax as () => number);
    expect(h.isActive).toBe(true);
    t = feed(h, t, 5, DISTRIBUTIONS.lan as () => number);
    // Five seconds of calm in a five-minute memory: still heavy-tailed.
    expect(h.isActive).toBe(true);
    feed(h, t, 120, DISTRIBUTIONS.lan as () => number);
    expect(h.isActive).toBe(false);
  });

  it('drops the samples of a confirmed disturbance when it ends, and keeps those of a mere suspicion', () => {
    for (const keep of [false, true]) {
      const h = new HeavyTailTarget(OPTS);
      let t = feed(h, 0, 30, DISTRIBUTIONS.lan as () => number);
      // Five runs of six packets 250 ms late: separate events, not one spike's run.
      let k = 0;
      t = feed(h, t, 1, () => (k++ % 10 < 6 ? 250 : 2), keep ? 'suspect' : 'confirmed');
      h.episodeEnded(keep);
      feed(h, t, 5, DISTRIBUTIONS.lan as () => number);
      // 30 samples of 250 ms in 1800: heavy-tailed when kept, nothing when dropped.
      expect(h.isActive).toBe(keep);
    }
  });
});

describe('HeavyTailTarget runs of late packets', () => {
  // A WAN's body (Gaussian σ 5 ms) with delay spikes at the given packets: a spike of height h holds
  // packets back and releases them together, each a packet time (20 ms) less late than the one before,
  // so its packets are one run. In the first seconds one or two such runs are more than 1 % of the
  // memory (its p99 far above 2.5 × its p90), but they are one or two events, not a tail.
  const rows: { spikes: [atPacket: number, heightMs: number][]; heavy: boolean }[] = [
    { spikes: [[30, 146]], heavy: false },
    { spikes: [[30, 146], [110, 74]], heavy: false },
    { spikes: [[30, 146], [70, 74], [110, 74]], heavy: true },
  ];
  for (const { spikes, heavy } of rows) {
    it(`${heavy ? 'takes' : 'does not take'} a WAN with ${spikes.length} spike${spikes.length > 1 ? 's' : ''} in its first 3 s for heavy-tailed`, () => {
      const g = mulberry32(11);
      const body = () => Math.max(0, 5 * Math.sqrt(-2 * Math.log(1 - g())) * Math.cos(2 * Math.PI * g()));
      const h = new HeavyTailTarget(OPTS);
      const seen: boolean[] = [];
      for (let i = 0; i < 400; i++) {
        let r = body();
        for (const [at, height] of spikes) if (i >= at) r = Math.max(r, height - PTIME * (i - at));
        h.observe(i * PTIME, r, 0, 40, 'none');
        seen.push(h.isActive);
      }
      // Checked every second from 3 s on: never (or, with three runs, from the first check).
      expect(seen.some((x) => x)).toBe(heavy);
      expect(seen[(3000 / PTIME) | 0]).toBe(heavy);
    });
  }

  it('does not count the runs of a confirmed disturbance', () => {
    const h = new HeavyTailTarget(OPTS);
    let k = 0;
    let t = feed(h, 0, 3, () => (k++ % 10 < 3 ? 100 : 2), 'confirmed');
    h.episodeEnded(false);
    // Then one spike: a single run of late packets in a calm memory.
    let i = 0;
    t = feed(h, t, 1, () => Math.max(2, 146 - PTIME * i++));
    feed(h, t, 2, () => 2);
    expect(h.isActive).toBe(false);
  });
});

describe('HeavyTailTarget movement', () => {
  /** The mobile body without its rare tall delays (under 100 ms): heavy-tailed, but never above a cover. */
  const body = () => Math.min(100, (DISTRIBUTIONS.lomax as () => number)());
  /** Feeds `seconds` of packets from `r` (general target `current`), reading the target after each. */
  function track(h: HeavyTailTarget, fromMs: number, seconds: number, r: () => number, current = 40): number[] {
    const seen: number[] = [];
    const n = (seconds * 1000) / PTIME;
    for (let i = 0; i < n; i++) {
      h.observe(fromMs + i * PTIME, r(), 0, current, 'none');
      seen.push(h.targetAt(fromMs + i * PTIME, 0.991));
    }
    return seen;
  }
  const steps = (xs: number[]) => xs.slice(1).map((x, i) => x - (xs[i] as number));
  const last = (xs: number[]) => xs[xs.length - 1] as number;
  /** Per 20 ms packet: the slow pace (0.2 ms/s) and the start-up cover's (25 ms/s). */
  const SLOW_STEP = (0.2 * PTIME) / 1000 + 1e-9;
  const COVER_STEP = (25 * PTIME) / 1000 + 1e-9;

  // Past the regime's first minute, the target moves at most 0.2 ms a second whichever way the estimate goes.
  const rows: { name: string; r: () => number; seconds: number; up: boolean }[] = [
    { name: 'every packet 200–300 ms late', r: () => 200 + 100 * u(), seconds: 20, up: true },
    { name: 'every packet within 5 ms', r: () => 5 * u(), seconds: 20, up: false },
  ];
  for (const { name, r, seconds, up } of rows) {
    it(`moves ${up ? 'up' : 'down'} by at most 0.2 ms a second after the first minute, with ${name} for ${seconds} s`, () => {
      const h = new HeavyTailTarget(OPTS);
      const level = last(track(h, 0, 70, DISTRIBUTIONS.lomax as () => number));
      expect(h.isActive).toBe(true);
      const seen = track(h, 70_000, seconds, r);
      for (const d of steps(seen)) expect(Math.abs(d)).toBeLessThanOrEqual(SLOW_STEP);
      const moved = last(seen) - level;
      // It does move, the whole allowance: the estimate is far off in that direction.
      expect(up ? moved : -moved).toBeGreaterThan(0.2 * seconds - 0.5);
      expect(Math.abs(moved)).toBeLessThanOrEqual(0.2 * seconds + 1e-6);
    });
  }

  // Over the regime's first minute at a call's start the target covers 70 % of the maximum (210 of
  // 300 ms) whatever the latest packet was, rising at most 25 ms a second: a few seconds of spikes say
  // little about the next one.
  const late: { r: number }[] = [{ r: 150 }, { r: 280 }, { r: 600 }];
  for (const { r } of late) {
    it(`covers 210 ms over a call's first minute after a ${r} ms late packet, rising at most 25 ms a second`, () => {
      const h = new HeavyTailTarget(OPTS);
      const before = track(h, 0, 4, body);
      expect(h.isActive).toBe(true);
      expect(last(before)).toBeLessThan(100);
      h.observe(4000, r, 0, 40, 'none');
      const seen = track(h, 4000 + PTIME, 40, body);
      for (const d of steps(seen)) expect(d).toBeLessThanOrEqual(COVER_STEP);
      // From the general target (40 ms) at 25 ms a second: there within 7 s of the regime's start.
      expect(seen[(7000 / PTIME) | 0]).toBeGreaterThanOrEqual(209);
      expect(last(seen)).toBeGreaterThanOrEqual(209);
      expect(Math.max(...seen)).toBeLessThanOrEqual(211);
    });
  }

  it.each([
    { maxDelayMs: 2000, r: 150, cover: 250 },
    { maxDelayMs: 2000, r: 600, cover: 600 },
    { maxDelayMs: 10_000, r: 900, cover: 900 },
  ])('with a maximum of $maxDelayMs ms covers $cover ms, not 70 % of the maximum, after a $r ms late packet at a call\'s start', ({ maxDelayMs, r, cover }) => {
    const h = new HeavyTailTarget({ ...OPTS, maxDelayMs });
    track(h, 0, 4, body);
    expect(h.isActive).toBe(true);
    h.observe(4000, r, 0, 40, 'none');
    const seen = track(h, 4000 + PTIME, 50, body);
    expect(Math.max(...seen)).toBeLessThanOrEqual(cover + 1);
    expect(last(seen)).toBeGreaterThanOrEqual(cover - 1);
  });

  it('stops covering the latest packet after the first minute and comes down at most 0.2 ms a second', () => {
    const h = new HeavyTailTarget(OPTS);
    track(h, 0, 4, body);
    h.observe(4000, 280, 0, 40, 'none');
    const hold = track(h, 4000 + PTIME, 56, body);
    expect(last(hold)).toBeGreaterThanOrEqual(209);
    const after = track(h, 60_000, 20, body);
    // The body's 99.1 % quantile is about 75 ms: the target sinks towards it, no faster than allowed.
    expect(last(after)).toBeLessThan(last(hold) - 3);
    for (const d of steps(after)) expect(d).toBeGreaterThanOrEqual(-SLOW_STEP);
  });

  it('starts from the general target only up to 70 % of the maximum when the regime begins', () => {
    const h = new HeavyTailTarget(OPTS);
    const seen = track(h, 0, 10, body, 300);
    expect(h.isActive).toBe(true);
    expect(Math.max(...seen)).toBeLessThanOrEqual(210);
  });

  it('covers the latest packet, not 70 % of the maximum, over the first minute of the regime when the path turns heavy-tailed late in a call', () => {
    const h = new HeavyTailTarget(OPTS);
    track(h, 0, 120, DISTRIBUTIONS.lan as () => number);
    expect(h.isActive).toBe(false);
    let t = 120_000;
    for (; t < 180_000 && !h.isActive; t += 1000) track(h, t, 1, body);
    expect(h.isActive).toBe(true);
    h.observe(t, 150, 0, 40, 'none');
    const seen = track(h, t + PTIME, 20, body);
    expect(last(seen)).toBeGreaterThanOrEqual(150);
    expect(Math.max(...seen)).toBeLessThanOrEqual(151);
  });
});

describe('jitter buffer on the mobile traces (seeds 1–5, 300 s each)', () => {
  const scores: JitterScores[] = [];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`does not peg at the 300 ms maximum and keeps jitter-induced concealment near 1 % (seed ${seed})`, () => {
      const s = simulateTrace({ trace: generateTrace({ profile: 'mobile', seed }), jb: { mode: 'adaptive', minDelayMs: 0, maxDelayMs: 300, pullPeriodMs: 5 } });
      scores.push(s);
      // Before the heavy-tailed target the p95 sat at 296–300 ms on four seeds of five; with a target
      // that rose 10 ms a second after each cluster of spikes, at 201–259 ms.
      expect(s.addedP95).toBeLessThan(225);
      expect(s.addedP99).toBeLessThan(260);
      expect(s.jicoPct).toBeLessThan(1.1);
      expect(s.jb.resyncs).toBe(0);
    });
  }
  it('has median p95 added delay at or under 220 ms with median concealment at or under 1 % over the seeds', () => {
    expect(scores.length).toBe(5);
    expect(median(scores.map((s) => s.addedP95))).toBeLessThanOrEqual(220);
    expect(median(scores.map((s) => s.jicoPct))).toBeLessThanOrEqual(1.0);
  });
  it('keeps p95 added delay at or under 220 ms and concealment at or under 1 % on at least four seeds of five', () => {
    // Seed 5 needs about 210 ms of fixed delay for 1 %, and 0.5 % of its packets are later than the
    // 300 ms maximum: at 217 ms p95 it conceals 1.02 %.
    expect(scores.filter((s) => s.addedP95 <= 220 && s.jicoPct <= 1).length).toBeGreaterThanOrEqual(4);
  });
});

describe('jitter buffer on held-out mobile traces (seeds 6–15, 300 s each)', () => {
  it('keeps median p95 added delay at or under 220 ms and median concealment under 1 %', () => {
    const scores = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map((seed) =>
      simulateTrace({ trace: generateTrace({ profile: 'mobile', seed }), jb: { mode: 'adaptive', minDelayMs: 0, maxDelayMs: 300, pullPeriodMs: 5 } }));
    const median = (xs: number[]) => { const t = [...xs].sort((a, b) => a - b); return ((t[4] as number) + (t[5] as number)) / 2; };
    expect(median(scores.map((s) => s.addedP95))).toBeLessThanOrEqual(220);
    expect(median(scores.map((s) => s.jicoPct))).toBeLessThan(1);
    // Seed 10 has 1 % of its packets later than the 300 ms maximum: no delay the buffer may use covers it.
    expect(scores.filter((s) => s.addedP95 <= 220 && s.jicoPct <= 1).length).toBeGreaterThanOrEqual(6);
    for (const s of scores) expect(s.jb.resyncs).toBe(0);
  });
});

describe('jitter buffer on a WAN with two early spikes (wan seed 11, 300 s)', () => {
  it('is not taken for heavy-tailed, so its delay does not climb towards the start-up cover', () => {
    const s = simulateTrace({ trace: generateTrace({ profile: 'wan', seed: 11 }), jb: { mode: 'adaptive', minDelayMs: 0, maxDelayMs: 300, pullPeriodMs: 5 } });
    // Taken for heavy-tailed from 3 s to 8 s (two spikes' runs in 150 packets), its delay rose to
    // 200 ms and the p99 was 128 ms; the other WAN seeds' p99 is 33–50 ms.
    expect(s.addedP99).toBeLessThan(70);
    expect(s.jicoPct).toBeLessThan(1);
  });
});

describe('jitter buffer on baresip 1.0 L16 (4 ms packets, 2.5 % slow, in bursts)', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`follows the sender's clock instead of concealing a quarter of the output (seed ${seed})`, () => {
      const s = simulateTrace({ trace: generateTrace({ profile: 'slow_sender', seed }), jb: { mode: 'adaptive', minDelayMs: 0, maxDelayMs: 300, pullPeriodMs: 4 } });
      expect(s.driftPpm).toBeGreaterThan(24_000);
      expect(s.driftPpm).toBeLessThan(25_000);
      expect(s.jicoPct).toBeLessThan(1);
      expect(s.jb.resyncs).toBe(0);
      // The bursts are read every 8–16 ms: about that much delay, not the ~220 ms target of before.
      expect(s.addedP95).toBeLessThan(30);
      expect(Math.abs(s.slopeMsPerMin)).toBeLessThan(5);
    });
  }
});
