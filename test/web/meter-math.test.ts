import { describe, expect, it } from 'vitest';
import {
  BAR_FALL_DB_PER_S,
  CLIP_HOLD_MS,
  ChannelBallistics,
  PEAK_DECAY_DB_PER_S,
  PEAK_HOLD_MS,
  dbToBarPx,
  dbToFraction,
  levelZone,
} from '../../web/src/model/meter-math.js';

describe('meter scale', () => {
  it('maps −60…0 dBFS linearly onto the bar and clamps outside it', () => {
    expect(dbToFraction(0)).toBe(1);
    expect(dbToFraction(-60)).toBe(0);
    expect(dbToFraction(-30)).toBe(0.5);
    expect(dbToFraction(-18)).toBeCloseTo(0.7, 10);
    expect(dbToFraction(6)).toBe(1);
    expect(dbToFraction(-90)).toBe(0);
    expect(dbToFraction(null)).toBe(0);
    expect(dbToFraction(-Infinity)).toBe(0);
    expect(dbToFraction(NaN)).toBe(0);
  });

  it('turns dBFS into whole-pixel bar heights', () => {
    expect(dbToBarPx(-18, 200)).toBe(140);
    expect(dbToBarPx(-30, 33)).toBe(17);
    expect(dbToBarPx(null, 200)).toBe(0);
  });

  it('colours levels by alignment level, permitted maximum and clipping', () => {
    expect(levelZone(-30)).toBe('low');
    expect(levelZone(-18)).toBe('low');
    expect(levelZone(-12)).toBe('nominal');
    expect(levelZone(-6)).toBe('high');
    expect(levelZone(0)).toBe('clip');
  });
});

describe('meter ballistics', () => {
  it('rises at once and falls at the PPM return rate', () => {
    const ch = new ChannelBallistics();
    ch.feed(-10, 0);
    expect(ch.barDb).toBe(-10);
    ch.step(1000);
    expect(ch.barDb).toBeCloseTo(-10 - BAR_FALL_DB_PER_S, 6);
    ch.feed(-5, 1000);
    expect(ch.barDb).toBe(-5);
  });

  it('falls the same whether drawn at 60 frames a second or 10', () => {
    const fast = new ChannelBallistics();
    const slow = new ChannelBallistics();
    fast.feed(-6, 0);
    slow.feed(-6, 0);
    for (let t = 0; t <= 1200; t += 1000 / 60) fast.step(t);
    for (let t = 0; t <= 1200; t += 100) slow.step(t);
    fast.step(1200);
    slow.step(1200);
    expect(fast.barDb).toBeCloseTo(slow.barDb, 6);
  });

  it('holds the peak, then decays it, never below the bar', () => {
    const ch = new ChannelBallistics();
    ch.feed(-3, 0);
    ch.feed(-40, 100);
    ch.step(PEAK_HOLD_MS);
    expect(ch.peakDb).toBe(-3);
    ch.step(PEAK_HOLD_MS + 500);
    expect(ch.peakDb).toBeCloseTo(-3 - PEAK_DECAY_DB_PER_S * 0.5, 6);
    ch.step(PEAK_HOLD_MS + 500 + 250);
    expect(ch.peakDb).toBeCloseTo(-3 - PEAK_DECAY_DB_PER_S * 0.75, 6);
    expect(ch.peakDb).toBeGreaterThanOrEqual(ch.barDb);
  });

  it('a new higher peak restarts the hold', () => {
    const ch = new ChannelBallistics();
    ch.feed(-20, 0);
    ch.step(PEAK_HOLD_MS + 200);
    ch.feed(-10, PEAK_HOLD_MS + 200);
    ch.step(PEAK_HOLD_MS + 200 + PEAK_HOLD_MS - 1);
    expect(ch.peakDb).toBe(-10);
  });

  it('drops to nothing once below the floor after silence', () => {
    const ch = new ChannelBallistics();
    ch.feed(-20, 0);
    ch.feed(null, 0);
    ch.step(20_000);
    expect(ch.barDb).toBe(-Infinity);
    expect(ch.peakDb).toBe(-Infinity);
  });

  it('lights the clip indicator on a full-scale peak or a counted clip and holds it', () => {
    const ch = new ChannelBallistics();
    ch.feed(-1, 0);
    expect(ch.clipLit(0)).toBe(false);
    ch.feed(0, 100);
    expect(ch.clipLit(100 + CLIP_HOLD_MS - 1)).toBe(true);
    expect(ch.clipLit(100 + CLIP_HOLD_MS)).toBe(false);
    ch.feed(-20, 5000, true);
    expect(ch.clipLit(5001)).toBe(true);
    ch.resetClip();
    expect(ch.clipLit(5001)).toBe(false);
  });
});
