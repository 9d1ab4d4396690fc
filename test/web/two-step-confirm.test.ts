import { describe, expect, it } from 'vitest';
import { HANGUP_CONFIRM, TwoStepConfirm } from '../../web/src/model/two-step-confirm.js';

describe('two-step confirmation of hang-up', () => {
  const opts = { armMs: 3000, guardMs: 500 };

  it('arms on the first press and confirms on a second press inside the window', () => {
    const c = new TwoStepConfirm(opts);
    expect(c.state('l1', 0)).toBe('idle');
    expect(c.press('l1', 1000)).toBe('armed');
    expect(c.state('l1', 1600)).toBe('armed');
    expect(c.press('l1', 1600)).toBe('confirmed');
    // Confirming disarms: the next press starts over.
    expect(c.state('l1', 1601)).toBe('idle');
    expect(c.press('l1', 1700)).toBe('armed');
  });

  it('ignores the second click of an accidental double-click', () => {
    const c = new TwoStepConfirm(opts);
    expect(c.press('l1', 0)).toBe('armed');
    expect(c.state('l1', 200)).toBe('guard');
    expect(c.press('l1', 200)).toBe('ignored');
    // The ignored press neither confirms nor restarts the window.
    expect(c.state('l1', 499)).toBe('guard');
    expect(c.state('l1', 500)).toBe('armed');
    expect(c.nextChangeAt('l1', 600)).toBe(3000);
  });

  it('disarms by itself when the window closes', () => {
    const c = new TwoStepConfirm(opts);
    c.press('l1', 10_000);
    expect(c.nextChangeAt('l1', 10_000)).toBe(10_500);
    expect(c.state('l1', 12_999)).toBe('armed');
    expect(c.state('l1', 13_000)).toBe('idle');
    expect(c.nextChangeAt('l1', 13_000)).toBeNull();
    // A press after the window arms again instead of confirming.
    expect(c.press('l1', 13_100)).toBe('armed');
  });

  it('keeps links apart and can be cancelled', () => {
    const c = new TwoStepConfirm(opts);
    c.press('a', 0);
    expect(c.state('b', 600)).toBe('idle');
    expect(c.press('b', 600)).toBe('armed');
    c.cancel('a');
    expect(c.state('a', 700)).toBe('idle');
    expect(c.state('b', 1200)).toBe('armed');
  });

  it('treats a clock that went backwards as disarmed rather than confirming', () => {
    const c = new TwoStepConfirm(opts);
    c.press('l1', 5000);
    expect(c.state('l1', 4000)).toBe('idle');
    expect(c.press('l1', 4000)).toBe('armed');
  });

  it('arms hang-up for about three seconds', () => {
    expect(HANGUP_CONFIRM.armMs).toBe(3000);
    expect(HANGUP_CONFIRM.guardMs).toBeLessThan(HANGUP_CONFIRM.armMs);
  });
});
