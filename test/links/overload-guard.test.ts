/**
 * Admission control on the fake clock: refuse above the refuse threshold, accept again only once every
 * signal has stayed below its accept threshold for the hold time.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../server/util/clock.js';
import { MAIN_THREAD_THRESHOLDS, OverloadGuard, WORKER_THRESHOLDS, type LoadSample, type OverloadState } from '../../server/links/overload-guard.js';
import { isAcipError } from '../../server/util/errors.js';

const workers = (...loads: number[]): LoadSample['workers'] => loads.map((loadRatio, index) => ({ index, loadRatio }));
const sample = (lagMs: number, ...loads: number[]): LoadSample => ({ eventLoopLagS: lagMs / 1000, workers: workers(...loads) });
/** Two workers at `load` (55 %: what each read on a box whose two cores were saturated) and the machine's busy share. */
const shared = (busy: number | null, load = 0.55): LoadSample => ({ eventLoopLagS: 0.005, workers: workers(load, load), machineBusyRatio: busy });

describe('the admission decision with media workers', () => {
  // Each row: at time `at` (ms) the sample arrives; `state` is the decision after it.
  it.each([
    {
      name: 'mean worker load at the refuse threshold refuses',
      rows: [
        { at: 0, s: sample(5, 0.5, 0.6), state: 'normal' },
        { at: 500, s: sample(5, 0.85, 0.85), state: 'overloaded' },
      ],
    },
    {
      name: 'one worker saturated in two samples in a row refuses though the mean is low',
      rows: [
        { at: 0, s: sample(5, 0.96, 0.1), state: 'normal' },
        { at: 500, s: sample(5, 0.97, 0.1), state: 'overloaded' },
      ],
    },
    {
      name: 'one saturated sample between calm ones (a cold start draining its backlog) does not refuse',
      rows: [
        { at: 0, s: sample(5, 0.3, 0.3), state: 'normal' },
        { at: 500, s: sample(5, 0.99, 0.5), state: 'normal' },
        { at: 1000, s: sample(5, 0.4, 0.3), state: 'normal' },
        { at: 1500, s: sample(5, 0.99, 0.5), state: 'normal' },
      ],
    },
    {
      name: 'saturation that moves from one worker to the other in consecutive samples refuses',
      rows: [
        { at: 0, s: sample(5, 0.96, 0.2), state: 'normal' },
        { at: 500, s: sample(5, 0.2, 0.96), state: 'overloaded' },
      ],
    },
    {
      name: 'main-thread lag at 250 ms in two samples in a row refuses',
      rows: [
        { at: 0, s: sample(250, 0.2, 0.2), state: 'normal' },
        { at: 500, s: sample(250, 0.2, 0.2), state: 'overloaded' },
      ],
    },
    {
      name: 'one late sample between punctual ones does not refuse',
      rows: [
        { at: 0, s: sample(400, 0.2, 0.2), state: 'normal' },
        { at: 500, s: sample(5, 0.2, 0.2), state: 'normal' },
        { at: 1000, s: sample(400, 0.2, 0.2), state: 'normal' },
      ],
    },
    {
      name: 'load between the thresholds keeps it refusing (hysteresis)',
      rows: [
        { at: 0, s: sample(5, 0.9, 0.9), state: 'overloaded' },
        { at: 500, s: sample(5, 0.75, 0.75), state: 'overloaded' },
        { at: 5000, s: sample(5, 0.75, 0.75), state: 'overloaded' },
      ],
    },
    {
      name: 'load below the accept threshold accepts again after the hold time',
      rows: [
        { at: 0, s: sample(5, 0.9, 0.9), state: 'overloaded' },
        { at: 500, s: sample(5, 0.6, 0.6), state: 'overloaded' },
        { at: 2000, s: sample(5, 0.6, 0.6), state: 'overloaded' },
        { at: 2500, s: sample(5, 0.6, 0.6), state: 'normal' },
      ],
    },
    {
      name: 'a spike during the hold time starts the hold over',
      rows: [
        { at: 0, s: sample(5, 0.9, 0.9), state: 'overloaded' },
        { at: 500, s: sample(5, 0.6, 0.6), state: 'overloaded' },
        { at: 1500, s: sample(120, 0.6, 0.6), state: 'overloaded' },
        { at: 2500, s: sample(5, 0.6, 0.6), state: 'overloaded' },
        { at: 4000, s: sample(5, 0.6, 0.6), state: 'overloaded' },
        { at: 4500, s: sample(5, 0.6, 0.6), state: 'normal' },
      ],
    },
    {
      name: 'lag between its thresholds keeps it refusing',
      rows: [
        { at: 0, s: sample(300, 0.1), state: 'normal' },
        { at: 500, s: sample(300, 0.1), state: 'overloaded' },
        { at: 3000, s: sample(150, 0.1), state: 'overloaded' },
        { at: 6000, s: sample(150, 0.1), state: 'overloaded' },
        { at: 6500, s: sample(10, 0.1), state: 'overloaded' },
        { at: 8500, s: sample(10, 0.1), state: 'normal' },
      ],
    },
    {
      name: 'the machine at 92 % busy in two samples in a row refuses though the workers read half busy',
      rows: [
        { at: 0, s: shared(0.6), state: 'normal' },
        { at: 500, s: shared(0.92), state: 'normal' },
        { at: 1000, s: shared(0.98), state: 'overloaded' },
      ],
    },
    {
      name: 'a full machine whose links conceal nothing keeps accepting (a call flood beside clean carried links)',
      rows: [
        { at: 0, s: { ...shared(0.98), concealingLinks: 0 }, state: 'normal' },
        { at: 500, s: { ...shared(0.99), concealingLinks: 0 }, state: 'normal' },
        { at: 1000, s: { ...shared(0.99), concealingLinks: 0 }, state: 'normal' },
      ],
    },
    {
      name: 'a full machine refuses once a link conceals, and a clean second after does not end the refusal',
      rows: [
        { at: 0, s: { ...shared(0.98), concealingLinks: 0 }, state: 'normal' },
        { at: 500, s: { ...shared(0.99), concealingLinks: 3 }, state: 'overloaded' },
        { at: 1000, s: { ...shared(0.99), concealingLinks: 0 }, state: 'overloaded' },
        { at: 3500, s: { ...shared(0.99), concealingLinks: 0 }, state: 'overloaded' },
      ],
    },
    {
      name: 'one busy machine sample between quieter ones does not refuse',
      rows: [
        { at: 0, s: shared(1), state: 'normal' },
        { at: 500, s: shared(0.9), state: 'normal' },
        { at: 1000, s: shared(1), state: 'normal' },
      ],
    },
    {
      name: 'an unknown machine reading breaks a run of busy ones',
      rows: [
        { at: 0, s: shared(0.95), state: 'normal' },
        { at: 500, s: shared(null), state: 'normal' },
        { at: 1000, s: shared(0.95), state: 'normal' },
        { at: 1500, s: shared(0.95), state: 'overloaded' },
      ],
    },
    {
      name: 'a machine busy between its thresholds keeps it refusing (hysteresis)',
      rows: [
        { at: 0, s: shared(0.95), state: 'normal' },
        { at: 500, s: shared(0.95), state: 'overloaded' },
        { at: 1000, s: shared(0.85), state: 'overloaded' },
        { at: 6000, s: shared(0.8), state: 'overloaded' },
      ],
    },
    {
      name: 'a machine below 80 % busy accepts again after the hold time',
      rows: [
        { at: 0, s: shared(0.95), state: 'normal' },
        { at: 500, s: shared(0.95), state: 'overloaded' },
        { at: 1000, s: shared(0.79), state: 'overloaded' },
        { at: 2500, s: shared(0.7), state: 'overloaded' },
        { at: 3000, s: shared(0.7), state: 'normal' },
      ],
    },
    {
      name: 'a machine full of other work does not refuse while the media workers carry less than 40 %',
      rows: [
        { at: 0, s: shared(1, 0), state: 'normal' },
        { at: 500, s: shared(1, 0.39), state: 'normal' },
        { at: 1000, s: shared(1, 0.39), state: 'normal' },
        { at: 1500, s: shared(1, 0.4), state: 'overloaded' },
      ],
    },
    {
      name: 'a machine that stays full accepts again once the media load has fallen below 40 % for the hold time',
      rows: [
        { at: 0, s: shared(1), state: 'normal' },
        { at: 500, s: shared(1), state: 'overloaded' },
        { at: 1000, s: shared(1, 0.45), state: 'overloaded' },
        { at: 1500, s: shared(1, 0.3), state: 'overloaded' },
        { at: 3500, s: shared(1, 0.3), state: 'normal' },
      ],
    },
    {
      name: 'a machine whose busy share is not known leaves the decision to the other signals',
      rows: [
        { at: 0, s: shared(null), state: 'normal' },
        { at: 500, s: shared(null), state: 'normal' },
        { at: 1000, s: { ...shared(null), workers: workers(0.9, 0.9) }, state: 'overloaded' },
        { at: 1500, s: shared(null), state: 'overloaded' },
        { at: 3500, s: shared(null), state: 'normal' },
      ],
    },
  ])('$name', ({ rows }) => {
    const clock = new FakeClock();
    const guard = new OverloadGuard(clock, WORKER_THRESHOLDS);
    for (const r of rows) {
      clock.advance(r.at - clock.now());
      guard.observe(r.s);
      expect({ at: r.at, state: guard.state }).toEqual({ at: r.at, state: r.state });
    }
  });
});

describe('the admission decision with media on the main thread', () => {
  it.each([
    { lagMs: 30, state: 'normal' },
    { lagMs: 40, state: 'overloaded' },
  ])('a main-thread lag of $lagMs ms in two samples leaves it $state', ({ lagMs, state }) => {
    const guard = new OverloadGuard(new FakeClock(), MAIN_THREAD_THRESHOLDS);
    guard.observe(sample(lagMs, 0.3));
    guard.observe(sample(lagMs, 0.3));
    expect(guard.state).toBe(state);
  });

  it.each([
    { busy: 0.91, state: 'normal' },
    { busy: 0.92, state: 'overloaded' },
  ])('a machine $busy busy in two samples, the main thread half busy, leaves it $state', ({ busy, state }) => {
    const guard = new OverloadGuard(new FakeClock(), MAIN_THREAD_THRESHOLDS);
    guard.observe({ ...sample(5, 0.5), machineBusyRatio: busy });
    guard.observe({ ...sample(5, 0.5), machineBusyRatio: busy });
    expect(guard.state).toBe(state);
  });
});

describe('what the guard answers and reports', () => {
  it('admits while normal and refuses with the reason and Retry-After while overloaded, counting refusals', () => {
    const guard = new OverloadGuard(new FakeClock());
    expect(guard.admit()).toEqual({ ok: true });
    guard.observe(sample(5, 0.9, 0.95));
    expect(guard.admit()).toEqual({ ok: false, reason: 'media workers 93 % busy (refuse at 85 %)', retryAfterS: 5 });
    guard.admit();
    expect(guard.status()).toEqual({
      state: 'overloaded',
      reason: 'media workers 93 % busy (refuse at 85 %)',
      eventLoopLagS: 0.005,
      mediaLoadRatio: 0.925,
      machineBusyRatio: null,
      workers: workers(0.9, 0.95),
      refused: 2,
    });
  });

  it('names the machine as the cause when only the machine is busy, and reports its busy share', () => {
    const guard = new OverloadGuard(new FakeClock());
    guard.observe(shared(0.95));
    guard.observe(shared(0.97));
    expect(guard.admit()).toEqual({ ok: false, reason: 'machine CPU 97 % busy on all cores with media workers 55 % busy (refuse at 92 %)', retryAfterS: 5 });
    expect(guard.status()).toMatchObject({ state: 'overloaded', mediaLoadRatio: 0.55, machineBusyRatio: 0.97 });
  });

  it('names the concealing links when the machine refuses for them', () => {
    const guard = new OverloadGuard(new FakeClock());
    guard.observe({ ...shared(0.95), concealingLinks: 2 });
    guard.observe({ ...shared(0.97), concealingLinks: 2 });
    expect(guard.admit()).toEqual({ ok: false, reason: 'machine CPU 97 % busy on all cores with media workers 55 % busy and 2 link(s) concealing (refuse at 92 %)', retryAfterS: 5 });
  });

  it('tells its listener each change of state, once', () => {
    const clock = new FakeClock();
    const guard = new OverloadGuard(clock);
    const changes: [OverloadState, string | null][] = [];
    guard.onChange = (s, r) => changes.push([s, r]);
    guard.observe(sample(260, 0.1));
    guard.observe(sample(270, 0.1));
    clock.advance(100);
    guard.observe(sample(1, 0.1));
    clock.advance(2000);
    guard.observe(sample(1, 0.1));
    guard.observe(sample(1, 0.1));
    expect(changes).toEqual([
      ['overloaded', 'main event loop 270 ms late (refuse at 250 ms)'],
      ['normal', null],
    ]);
  });

  it.each([
    { name: 'a media-load accept level above its refuse level', over: { acceptLoad: 0.9 } },
    { name: 'a lag accept level above its refuse level', over: { acceptLagS: 0.3 } },
    { name: 'a machine accept level above its refuse level', over: { acceptMachineBusy: 0.95 } },
    { name: 'a machine floor above 100 % media load', over: { machineMinLoad: 1.5 } },
  ])('refuses thresholds with $name', ({ over }) => {
    let err: unknown;
    try {
      new OverloadGuard(new FakeClock(), { ...WORKER_THRESHOLDS, ...over });
    } catch (e) {
      err = e;
    }
    expect(isAcipError(err) && err.code).toBe('CONFIG_INVALID');
  });
});
