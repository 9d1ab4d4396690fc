import { describe, expect, it } from 'vitest';
import { DriftEstimator, type DriftEstimatorOptions } from '../../../server/media/drift-estimator.js';
import { mulberry32 } from '../../helpers/prng.js';

/**
 * The drift estimator over its whole range, fake clock: packets sent every `ptime` of the sender's clock
 * (off by `ppm`), with jitter, fed as (arrival t, relative transit d = t − media time). The slope of d
 * against t is ε/(1 + ε) for a sender clock off by ε. Jitter kinds: `lan` (Gaussian AR(1) σ 1 ms, clipped
 * at 0), `mobile` (Lomax x_m 20 ms, α 3: the mobile trace's body), `bursty` (a starved reader taking what
 * came every 8–16 ms: baresip 1.0's 4 ms L16 as acip receives it).
 */
type Jitter = 'lan' | 'mobile' | 'bursty';

interface Feed {
  ppm: number;
  jitter: Jitter;
  ptimeMs: number;
  seconds: number;
  seed?: number;
  /** A level shift of the path (ms) from `stepAtMs` on. */
  stepMs?: number;
  stepAtMs?: number;
}

/** Feeds the estimator; calls `at(t)` once a second of local time. */
function feed(est: DriftEstimator, f: Feed, at?: (tMs: number) => void): void {
  const u = mulberry32(f.seed ?? 7);
  const n = Math.floor((f.seconds * 1000) / f.ptimeMs);
  let ar = 0;
  let read = 0;
  let prev = -Infinity;
  let nextReport = 1000;
  for (let i = 0; i < n; i++) {
    const media = i * f.ptimeMs;
    const sent = media * (1 + f.ppm * 1e-6);
    let j = 0;
    if (f.jitter === 'lan' || f.jitter === 'bursty') {
      const z = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
      ar = 0.5 * ar + Math.sqrt(1 - 0.25) * (f.jitter === 'lan' ? 1 : 0.3) * z;
      j = Math.max(0, ar);
    } else {
      j = 20 * (Math.pow(1 - u(), -1 / 3) - 1);
    }
    let t = sent + 5 + j + (f.stepMs !== undefined && sent >= (f.stepAtMs ?? 0) ? f.stepMs : 0);
    if (f.jitter === 'bursty') {
      while (read < t) read += 8 + 8 * u();
      t = read;
    }
    t = Math.max(t, prev + 0.02);
    prev = t;
    est.add(t, t - media);
    if (at && t >= nextReport) {
      at(t);
      nextReport += 1000;
    }
  }
}

const slopePpm = (ppm: number) => (ppm / (1 + ppm * 1e-6));

describe('DriftEstimator over ±3 %', () => {
  const rows: (Feed & { tolPpm: number })[] = [
    { ppm: 100, jitter: 'lan', ptimeMs: 20, seconds: 600, tolPpm: 5 },
    { ppm: -100, jitter: 'lan', ptimeMs: 20, seconds: 600, tolPpm: 5 },
    { ppm: 100, jitter: 'mobile', ptimeMs: 20, seconds: 600, tolPpm: 20 },
    { ppm: 10_000, jitter: 'lan', ptimeMs: 20, seconds: 30, tolPpm: 100 },
    { ppm: -10_000, jitter: 'lan', ptimeMs: 20, seconds: 30, tolPpm: 100 },
    { ppm: 10_000, jitter: 'mobile', ptimeMs: 20, seconds: 60, tolPpm: 500 },
    { ppm: 25_000, jitter: 'bursty', ptimeMs: 4, seconds: 30, tolPpm: 300 },
    { ppm: -25_000, jitter: 'bursty', ptimeMs: 4, seconds: 30, tolPpm: 300 },
    { ppm: 25_000, jitter: 'lan', ptimeMs: 20, seconds: 30, tolPpm: 100 },
    { ppm: -25_000, jitter: 'mobile', ptimeMs: 20, seconds: 60, tolPpm: 500 },
  ];
  for (const r of rows) {
    it(`finds a sender ${r.ppm > 0 ? 'slow' : 'fast'} by ${Math.abs(r.ppm)} ppm through ${r.jitter} jitter within ${r.tolPpm} ppm, and its floor follows the trend`, () => {
      const est = new DriftEstimator();
      let lastT = 0;
      feed(est, r, (t) => (lastT = t));
      expect(Math.abs(est.driftPpm - slopePpm(r.ppm))).toBeLessThanOrEqual(r.tolPpm);
      // The floor is the fastest transit now (5 ms path + the trend), not seconds behind it.
      const expected = 5 + ((lastT / (1 + r.ppm * 1e-6)) * r.ppm * 1e-6);
      expect(Math.abs((est.floorAt(lastT) as number) - expected)).toBeLessThan(r.jitter === 'lan' ? 3 : 12);
      expect(est.routeChanges).toBe(0);
    });
  }

  for (const ppm of [25_000, -25_000, 10_000]) {
    it(`follows a sender off by ${ppm} ppm within 3 s of the first packet (the short fit)`, () => {
      const est = new DriftEstimator();
      const seen: number[] = [];
      feed(est, { ppm, jitter: 'bursty', ptimeMs: 4, seconds: 3.2 }, () => seen.push(est.driftPpm));
      expect(Math.abs((seen[2] as number) - slopePpm(ppm))).toBeLessThan(0.1 * Math.abs(ppm));
    });
  }

  it('takes a sender beyond its range for no drift at all (the range is a parameter)', () => {
    const opts: DriftEstimatorOptions = { maxPpm: 300 };
    const est = new DriftEstimator(opts);
    feed(est, { ppm: 25_000, jitter: 'lan', ptimeMs: 20, seconds: 30 });
    expect(Math.abs(est.driftPpm)).toBeLessThanOrEqual(300);
    const wide = new DriftEstimator({ maxPpm: 60_000 });
    feed(wide, { ppm: 50_000, jitter: 'lan', ptimeMs: 20, seconds: 30 });
    expect(Math.abs(wide.driftPpm - slopePpm(50_000))).toBeLessThan(200);
  });

  it('takes a +80 ms level shift on a 2.5 % drift for a route change, not for more drift', () => {
    const est = new DriftEstimator();
    const seen: number[] = [];
    feed(est, { ppm: 25_000, jitter: 'lan', ptimeMs: 20, seconds: 40, stepMs: 80, stepAtMs: 20_000 }, () => seen.push(est.driftPpm));
    expect(est.routeChanges).toBeGreaterThanOrEqual(1);
    // Every second after the first few: the estimate never strays to the step's apparent slope.
    for (const p of seen.slice(4)) expect(Math.abs(p - slopePpm(25_000))).toBeLessThan(1000);
  });

  it('never takes the jitter of a mobile path or a bursty reader for drift when the clocks agree', () => {
    for (const jitter of ['mobile', 'bursty', 'lan'] as const) {
      for (const seed of [1, 2, 3]) {
        const est = new DriftEstimator();
        let worst = 0;
        feed(est, { ppm: 0, jitter, ptimeMs: jitter === 'bursty' ? 4 : 20, seconds: 120, seed }, () => (worst = Math.max(worst, Math.abs(est.driftPpm))));
        expect(worst).toBeLessThan(jitter === 'mobile' ? 200 : 50);
      }
    }
  });
});
