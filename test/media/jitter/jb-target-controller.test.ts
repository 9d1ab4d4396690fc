import { describe, expect, it } from 'vitest';
import { DelayHistogram } from '../../../server/media/jb-delay-histogram.js';
import { TargetController } from '../../../server/media/jb-target-controller.js';

/**
 * The target controller's episodes and start-up tail, driven packet by packet with relative delays r (ms later than the
 * fastest packets), 20 ms packets, the fake clock being the packet index.
 */
const PTIME = 20;
const opts = { mode: 'adaptive' as const, ptimeMs: PTIME, minDelayMs: 0, maxDelayMs: 300, initialTargetMs: 40, quantile: 0.99, jicoBudget: 0, marginMs: 0, forgetMs: 60_000, startForgetWeight: 5 };

/** Feeds `seconds` of packets whose r is given by `r(i)` from time `fromMs`; returns the end time. */
function feed(tc: TargetController, fromMs: number, seconds: number, r: (i: number) => number): number {
  const n = (seconds * 1000) / PTIME;
  for (let i = 0; i < n; i++) tc.observe(fromMs + i * PTIME, r(i), 0);
  return fromMs + n * PTIME;
}

/** Small lan-like jitter: 0–4 ms. */
const calm = (i: number) => (i * 37) % 5;

describe('TargetController episodes', () => {
  it('keeps a 30 s disturbance of bursty arrivals apart and drops it once calm returns', () => {
    const tc = new TargetController(opts);
    let t = feed(tc, 0, 30, calm);
    const before = tc.targetMs;
    // Packets read every 120 ms: each burst's packets are 120, 100, … 0 ms late.
    t = feed(tc, t, 30, (i) => 120 - (i % 6) * PTIME);
    expect(tc.inEpisode).toBe(true);
    expect(tc.targetMs).toBeGreaterThan(90);
    t = feed(tc, t, 3, calm);
    expect(tc.inEpisode).toBe(false);
    expect(tc.targetMs).toBeLessThanOrEqual(before + 1);
  });

  it('never makes an episode of a single spike, whose packets stay in the long-term memory', () => {
    const tc = new TargetController({ ...opts, quantile: 0.995 });
    let t = feed(tc, 0, 60, calm);
    // A 400 ms spike: 20 packets held and released together, each 20 ms less late than the one before.
    t = feed(tc, t, 0.4, (i) => 400 - i * PTIME);
    const peakEpisode = tc.inEpisode;
    t = feed(tc, t, 5, calm);
    expect(peakEpisode).toBe(false);
    expect(tc.inEpisode).toBe(false);
    // Its 20 samples of about 3000 are more than the 0.5 % tail: the target covers part of the spike.
    expect(tc.targetMs).toBeGreaterThan(100);
  });

  it('takes an episode longer than a minute for the new normal', () => {
    const tc = new TargetController(opts);
    let t = feed(tc, 0, 30, calm);
    t = feed(tc, t, 65, (i) => 120 - (i % 6) * PTIME);
    expect(tc.inEpisode).toBe(false);
    t = feed(tc, t, 3, calm);
    // The minute of bursts is now part of the long-term statistics: the target stays up.
    expect(tc.targetMs).toBeGreaterThan(90);
  });
});

describe('TargetController minimum tail basis in the first seconds', () => {
  const young = { ...opts, initialTargetMs: 10 };

  it('leaves one spike out of the tail of a young histogram', () => {
    const tc = new TargetController(young);
    let t = feed(tc, 0, 0.7, calm);
    // A 150 ms receive stall: 8 packets read together, each 20 ms less late than the one before.
    for (let i = 0; i < 8; i++, t += 0.1) tc.observe(t, 150 - 20 * i, 0);
    feed(tc, t, 2.5, calm);
    expect(tc.targetMs).toBeLessThanOrEqual(5);
  });

  it('covers lateness that recurs from the first bursts on (4 ms packets arriving in bursts)', () => {
    const tc = new TargetController({ ...young, ptimeMs: 4 });
    // Bursts of 5 packets every 20 ms; a burst's first packet is 20–59 ms late, the others 10 ms less each.
    for (let i = 0; i < 500; i++) {
      const head = 20 + ((Math.floor(i / 5) * 7919) % 40);
      tc.observe(i * 4, Math.max(0, head - 10 * (i % 5)), 0);
    }
    // The 99 % quantile of these delays is about 57 ms; counting the tail against 10 s of packets
    // (2500) would allow 25 of these 500 samples above it and put the target near 25 ms.
    expect(tc.targetMs).toBeGreaterThan(50);
  });
});

describe('TargetController late events', () => {
  // Calm packets with one packet in ten 60 ms late from `from` on; the target after `until` packets.
  // Late events (lateness recurring beyond the young tail) shrink the tail basis, so the target covers
  // the recurring lateness once they are counted: against the young tail from the end of the 1 s hold,
  // or from 100 packets when that comes first (packets shorter than 10 ms).
  const rows: { ptimeMs: number; from: number; until: number; covered: boolean; why: string }[] = [
    { ptimeMs: 20, from: 50, until: 100, covered: true, why: 'counted from the end of the 1 s hold (50 packets), before 100 packets' },
    { ptimeMs: 4, from: 100, until: 200, covered: true, why: 'counted from 100 packets (0.4 s), before the hold ends' },
  ];
  for (const { ptimeMs, from, until, covered, why } of rows) {
    it(`${covered ? 'covers' : 'does not yet cover'} lateness recurring in ${ptimeMs} ms packets ${from}–${until}: ${why}`, () => {
      const tc = new TargetController({ ...opts, ptimeMs, initialTargetMs: 10 });
      for (let i = 0; i < until; i++) tc.observe(i * ptimeMs, i >= from && i % 10 === 5 ? 60 : calm(i), 0);
      if (covered) expect(tc.targetMs).toBeGreaterThan(55);
      else expect(tc.targetMs).toBeLessThan(55);
    });
  }

  // While the initial target (10 ms) is held, a packet later than it is an event: late against the
  // target in force. Rows: packets 60 ms late (the others calm, 0–4 ms), the target read after packet 75
  // (0.5 s past the hold). Counted only from the end of the hold, the two in it were no evidence, and
  // the target fell to the calm body's 5 ms.
  const held: { late: number[]; covered: boolean; why: string }[] = [
    { late: [30, 40, 60, 70], covered: true, why: 'the two in the hold count as well as the two after it' },
    { late: [60, 70], covered: false, why: 'two after the hold only: one late packet in the tail the basis allows' },
    { late: [20, 30, 40], covered: false, why: 'lateness in the hold alone, forgotten fast with the table\'s first second, does not hold the target up' },
  ];
  for (const { late, covered, why } of held) {
    it(`${covered ? 'covers' : 'does not cover'} packets ${late.join(', ')} of the first 75 (20 ms packets) 60 ms late: ${why}`, () => {
      const tc = new TargetController({ ...opts, initialTargetMs: 10 });
      for (let i = 0; i < 75; i++) tc.observe(i * PTIME, late.includes(i) ? 60 : calm(i), 0);
      if (covered) expect(tc.targetMs).toBeGreaterThan(55);
      else expect(tc.targetMs).toBeLessThanOrEqual(5);
    });
  }
});

describe('DelayHistogram union and absorption', () => {
  const forget = Math.exp(-PTIME / 60_000);
  it('gives the quantile of two tables as if their samples were in one', () => {
    const one = new DelayHistogram(1, 400, forget);
    const a = new DelayHistogram(1, 400, forget);
    const b = new DelayHistogram(1, 400, forget);
    for (let i = 0; i < 1000; i++) {
      const r = (i * 7919) % 200;
      one.add(r);
      (i < 600 ? a : b).add(r);
    }
    for (const q of [0.5, 0.9, 0.99]) expect(Math.abs(DelayHistogram.quantileOf([a, b], q) - one.quantile(q))).toBeLessThanOrEqual(2);
    const c = new DelayHistogram(1, 400, forget);
    for (let i = 0; i < 600; i++) c.add((i * 7919) % 200);
    c.absorb(b);
    expect(Math.abs(c.quantile(0.9) - one.quantile(0.9))).toBeLessThanOrEqual(2);
  });

  it('does not let a handful of late samples be the whole tail of a young table', () => {
    const h = new DelayHistogram(1, 400, forget);
    for (let i = 0; i < 200; i++) h.add(2);
    for (let i = 0; i < 5; i++) h.add(300 - 20 * i);
    expect(h.quantile(0.99)).toBeGreaterThan(200);
    // Against a basis of 500 samples, 1 % is 5 samples: the five late ones are the allowed tail.
    expect(DelayHistogram.quantileOf([h], 0.99, 500)).toBeLessThanOrEqual(3);
  });
});
