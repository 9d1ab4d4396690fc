import { describe, expect, it } from 'vitest';
import { JITTER_WINDOW, OverdueDetector } from '../../../server/rtp/recovery/overdue-detector.js';
import { RecoveryError } from '../../../server/rtp/recovery/recovery-error.js';

/** Opus at 48 kHz, 20 ms: 960 timestamp units per packet. */
const detector = (extra: Partial<ConstructorParameters<typeof OverdueDetector>[0]> = {}) => new OverdueDetector({ ptimeMs: 20, clockRate: 48000, ...extra });

describe('the overdue detector deems a packet lost once it is later than the jitter margin', () => {
  it('expects each next number one packet time after the last, across 65535→0', () => {
    const d = detector();
    d.onOriginal(65534, 0, 1000);
    expect(d.expectedArrivalMs(65535)).toBe(1020);
    expect(d.expectedArrivalMs(1)).toBe(1060);
  });

  it.each([
    // [now, newly overdue]: margin 5 ms (a quarter packet time); 1 is due at 20, 2 at 40, ...
    { now: 25, overdue: [] },
    { now: 25.1, overdue: [1] },
    { now: 65.1, overdue: [1, 2, 3] },
  ])('at $now ms reports $overdue', ({ now, overdue }) => {
    const d = detector();
    d.onOriginal(0, 0, 0);
    expect(d.overdue(now)).toEqual(overdue);
  });

  it('reports each number once, and starts over from a new highest arrival', () => {
    const d = detector();
    d.onOriginal(0, 0, 0);
    expect(d.overdue(30)).toEqual([1]);
    expect(d.overdue(40)).toEqual([]);
    expect(d.overdue(50)).toEqual([2]);
    d.onOriginal(3, 3 * 960, 60);
    expect(d.overdue(86)).toEqual([4]);
    expect(d.deemedLost).toBe(3);
  });

  it.each([
    { name: 'a sender whose packets are 10 ms apart though 20 ms was signalled', step: 480, ptime: 10 },
    { name: 'the jump at the end of a DTX pause (400 ms)', step: 19200, ptime: 20 },
  ])('learns the packet time from consecutive timestamps, but not $name', ({ step, ptime }) => {
    const d = detector();
    d.onOriginal(0, 0, 0);
    d.onOriginal(1, step, 10);
    expect(d.packetTimeMs).toBe(ptime);
    expect(d.expectedArrivalMs(2)).toBe(10 + ptime);
  });

  it('a late arrival behind the highest does not move the anchor', () => {
    const d = detector();
    d.onOriginal(5, 5 * 960, 100);
    d.onOriginal(4, 4 * 960, 101);
    expect(d.expectedArrivalMs(6)).toBe(120);
  });

  it('reports at most maxPerSilence numbers in one silence (a DTX pause, an outage)', () => {
    const d = detector({ maxPerSilence: 8 });
    d.onOriginal(0, 0, 0);
    expect(d.overdue(10_000)).toHaveLength(8);
    expect(d.overdue(20_000)).toEqual([]);
  });

  it.each([
    { name: 'no jitter', spread: 0, margin: 5 },
    { name: 'a steady ±3 ms', spread: 3, margin: 4 * 6 }, // |D| alternates 6 ms: J → 6, margin 4·J
  ])('widens the margin with the RFC 3550 jitter estimate ($name)', ({ spread, margin }) => {
    const d = detector();
    for (let k = 0; k < 2000; k++) d.onOriginal(k, k * 960, k * 20 + (k % 2 === 0 ? spread : -spread));
    expect(d.marginMs()).toBeCloseTo(margin, 3);
    expect(d.jitterGuardMs()).toBeCloseTo(spread === 0 ? 0 : margin, 3);
  });

  it.each([
    // [stalls: each holds back this many packets, read in one batch when the receiver runs again]
    { stalls: 0, margin: 5 },
    { stalls: 2, margin: 5 },
  ])('keeps the margin at its floor after $stalls stalls of the receiver 400 ms apart, though the RFC 3550 estimate rises', ({ stalls, margin }) => {
    const d = detector();
    const stalled = new Set(Array.from({ length: stalls }, (_, i) => 40 + 20 * i));
    for (let k = 0; k < 80; k++) {
      // A stall at k: k…k+3 are read together when k+3 would have arrived.
      const batch = [...stalled].find((s) => k >= s && k <= s + 3);
      d.onOriginal(k, k * 960, (batch === undefined ? k : batch + 3) * 20);
    }
    expect(d.marginMs()).toBe(margin);
    expect(d.jitterMs > 2).toBe(stalls > 0);
  });

  it('widens the margin again once more than a quarter of the recent packets vary', () => {
    const d = detector();
    // After two stalls, every other packet 6 ms late for the last JITTER_WINDOW packets: |D| = 6.
    for (let k = 0; k < 200; k++) {
      const stall = k === 40 || k === 41 ? 60 - 20 * (k - 40) : 0;
      d.onOriginal(k, k * 960, k * 20 + stall + (k >= 200 - JITTER_WINDOW && k % 2 === 0 ? 6 : 0));
    }
    expect(d.marginMs()).toBeCloseTo(4 * 6 * (1 - (15 / 16) ** JITTER_WINDOW), 1);
  });

  it('a timestamp wrap is not a jump in the jitter estimate', () => {
    const d = detector();
    const ts0 = 0xffff_ffff - 960 * 5 + 1;
    for (let k = 0; k < 20; k++) d.onOriginal(k, (ts0 + k * 960) >>> 0, k * 20);
    expect(d.jitterMs).toBe(0);
  });

  it.each([
    { options: { ptimeMs: 0 }, field: 'ptimeMs' },
    { options: { maxPerSilence: -1 }, field: 'maxPerSilence' },
    { options: { jitterFactor: Number.NaN }, field: 'jitterFactor' },
  ])('rejects $field out of range with RECOVERY_BAD_OPTION', ({ options, field }) => {
    expect(() => detector(options)).toThrow(expect.objectContaining({ code: 'RECOVERY_BAD_OPTION', field }));
    expect(() => detector(options)).toThrow(RecoveryError);
  });
});
