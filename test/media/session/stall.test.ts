/**
 * After an event-loop stall the receive path must not conceal frames whose packets are already
 * waiting in the socket. Node runs timers before it polls for I/O: a receive tick run straight from
 * the frame clock's timer catches up on the stalled time before the packets that arrived meanwhile
 * are read, and conceals them; MediaSession therefore runs its receive ticks from setImmediate, after
 * the poll phase (media-session.ts, "Receive work runs after socket reads").
 *
 * Two receiving sessions in this process get the same L24 stream from a separate process (which keeps
 * sending while this one is blocked): one with the default deferral, one with its receive ticks run
 * inside the timer callback (`deferReceive: fn => fn()`, the behaviour before). The event loop is then
 * blocked three times for 100 ms. Both see exactly the same packets and stalls, so any concealment the
 * network or a slow sender causes hits both alike; the difference is what the deferral saves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MediaSession } from '../../../server/media/media-session.js';
import { systemClock } from '../../../server/util/clock.js';
import { sessionParams, sleep } from './session-harness.js';

const SENDER = fileURLToPath(new URL('./rtp-sender-child.mjs', import.meta.url));
const PTIME_MS = 5;
const STALL_MS = 100;
const STALLS = 3;
const FIXED_DELAY_MS = 20;

/**
 * Blocks the event loop for `ms` from a setImmediate callback (the check phase), so that the next
 * loop iteration starts with the timers phase, as after a stall in any I/O or immediate callback. (A
 * stall inside a timer callback may or may not let later timers of the same phase see the new time.)
 */
function blockEventLoop(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(() => {
      const end = performance.now() + ms;
      // Bounded busy wait: the stall being simulated.
      while (performance.now() < end) {
        /* spin */
      }
      resolve();
    });
  });
}

describe('receive path after an event-loop stall', () => {
  it('plays the packets that arrived during a 100 ms stall instead of concealing them', async () => {
    const c = { codecId: 'L24', payloadType: 98, params: { sampleRate: 48000, channels: 2, ptimeMs: PTIME_MS } };
    const over = { send: false, noMediaTimeoutMs: 0, jitterBuffer: { mode: 'fixed' as const, delayMs: FIXED_DELAY_MS, stretch: false } };
    const deferred = await MediaSession.open(sessionParams(c, { ...over, linkId: 'deferred' }), { clock: systemClock });
    const inTimer = await MediaSession.open(sessionParams(c, { ...over, linkId: 'in-timer' }), { clock: systemClock, deferReceive: (fn) => fn() });
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, [SENDER, String(PTIME_MS), '6', String(deferred.localRtpPort), String(inTimer.localRtpPort)], { stdio: ['ignore', 'ignore', 'inherit'] });
      // Bounded wait for both buffers to start playing.
      for (let i = 0; i < 60 && !(deferred.stats().jitterBuffer!.framesPlayed > 20 && inTimer.stats().jitterBuffer!.framesPlayed > 20); i++) await sleep(50);
      await sleep(300);
      const concealed = (s: MediaSession): number => s.stats().jitterBuffer!.concealedFrames;
      const d0 = concealed(deferred);
      const t0 = concealed(inTimer);
      const p0 = deferred.stats().jitterBuffer!.framesPlayed;
      for (let i = 0; i < STALLS; i++) {
        await blockEventLoop(STALL_MS);
        await sleep(400);
      }
      const byDeferred = concealed(deferred) - d0;
      const byTimer = concealed(inTimer) - t0;
      const why = `concealed during the stalls: deferred ${byDeferred}, in the timer ${byTimer}`;
      // The stream kept playing through the stalls.
      expect(deferred.stats().jitterBuffer!.framesPlayed - p0, why).toBeGreaterThan((STALLS * 400) / PTIME_MS / 2);
      // Run in the timer, each stall conceals about (stall − buffer delay) / ptime frames (16 here);
      // deferred, none on a quiet machine. Demand at least half of the structural difference.
      const structural = STALLS * Math.floor((STALL_MS - FIXED_DELAY_MS) / PTIME_MS);
      expect(byTimer - byDeferred, why).toBeGreaterThanOrEqual(structural / 2);
      expect(byDeferred, why).toBeLessThan(byTimer);
    } finally {
      if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid);
      await deferred.close();
      await inTimer.close();
    }
  });
});
