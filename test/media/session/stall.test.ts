/**
 * After an event-loop stall the receive path must not conceal frames whose packets are already
 * waiting in the socket. Node runs timers before it polls for I/O: a receive tick run straight from
 * the frame clock's timer catches up on the stalled time before the packets that arrived meanwhile
 * are read, and conceals them; MediaSession therefore runs its receive ticks from setImmediate, after
 * the poll phase (media-session.ts, "Receive work runs after socket reads").
 *
 * Two receiving sessions get the same L24 stream from a worker thread (which has its own event loop
 * and keeps sending while this thread is blocked): one with the default deferral, one with its receive
 * ticks run inside the clock's timer callback (`deferReceive: fn => fn()`, the behaviour before). The
 * event loop is then blocked three times while the worker sends 100 ms of packets, and the frame
 * clocks jump 100 ms as they would after such a stall.
 *
 * Time is virtual (one FakeClock for both sessions; every packet of the steady stream is read before
 * the clock moves on): the sockets, the event loop's phases and the stall are real, but a busy
 * machine cannot add stalls of its own. On real time it did: under load average 8 to 15 a start-up
 * stall left the fixed, non-stretching buffer about 120 ms deep (its maximum), which covered the
 * 100 ms stalls, and neither session concealed anything.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MediaSession } from '../../../server/media/media-session.js';
import { FakeClock } from '../../../server/util/clock.js';
import { sessionParams } from './session-harness.js';
import { receivedEnough, waitUntil } from './virtual-time.js';

const SENDER = fileURLToPath(new URL('./rtp-sender-worker.mjs', import.meta.url));
const PTIME_MS = 5;
const STALL_MS = 100;
const STALLS = 3;
const BETWEEN_MS = 400;
const WARM_UP_MS = 300;
const FIXED_DELAY_MS = 20;
/** Longest the blocked thread waits for the worker's packets (a failure, not a measurement). */
const SENDER_WAIT_MS = 10_000;

describe('receive path after an event-loop stall', () => {
  it('plays the packets that arrived during a 100 ms stall instead of concealing them', async () => {
    const clock = new FakeClock(1000);
    const c = { codecId: 'L24', payloadType: 98, params: { sampleRate: 48000, channels: 2, ptimeMs: PTIME_MS } };
    const over = { send: false, noMediaTimeoutMs: 0, jitterBuffer: { mode: 'fixed' as const, delayMs: FIXED_DELAY_MS, stretch: false } };
    const deferred = await MediaSession.open(sessionParams(c, { ...over, linkId: 'deferred' }), { clock });
    const inTimer = await MediaSession.open(sessionParams(c, { ...over, linkId: 'in-timer' }), { clock, deferReceive: (fn) => fn() });
    const sender = new Worker(SENDER, { workerData: { ptimeMs: PTIME_MS, ports: [deferred.localRtpPort, inTimer.localRtpPort] } });
    try {
      let failed: unknown = null;
      sender.on('error', (e) => (failed = e));
      let ready = false;
      sender.once('message', () => (ready = true));
      await waitUntil(() => ready || failed !== null, 'the sender worker');
      if (failed) throw failed;

      let next = 0; // number of the next packet; packet k belongs at k · ptime on the clock
      const bothHave = (n: number) => (): boolean => failed !== null || (receivedEnough(deferred, n) && receivedEnough(inTimer, n));
      // Steady stream: each packet is sent, read by both sessions, then the clock moves a packet time.
      const play = async (ms: number): Promise<void> => {
        for (let t = 0; t < ms; t += PTIME_MS) {
          sender.postMessage({ from: next, count: 1 });
          next++;
          await waitUntil(bothHave(next), `packet ${next - 1} at both sessions`);
          if (failed) throw failed;
          clock.advance(PTIME_MS);
        }
      };
      // The stall, run from a setImmediate callback (the check phase) so that the frame clocks' catch-up
      // comes before the next poll phase, as a timer due after a stall does: the thread blocks until the
      // worker has sent the stalled period's packets, then the clock jumps over that period.
      const stall = (): Promise<void> =>
        new Promise((resolve, reject) => {
          setImmediate(() => {
            try {
              const flag = new Int32Array(new SharedArrayBuffer(4));
              const count = STALL_MS / PTIME_MS;
              sender.postMessage({ from: next, count, flag });
              next += count;
              if (Atomics.wait(flag, 0, 0, SENDER_WAIT_MS) === 'timed-out') throw new Error('the sender worker did not send the stalled period');
              clock.advance(STALL_MS);
              resolve();
            } catch (e) {
              reject(e);
            }
          });
        });

      await play(WARM_UP_MS);
      const jb = (s: MediaSession) => s.stats().jitterBuffer!;
      expect(jb(deferred).framesPlayed).toBeGreaterThan(20);
      expect(jb(inTimer).framesPlayed).toBeGreaterThan(20);
      const d0 = jb(deferred).concealedFrames;
      const t0 = jb(inTimer).concealedFrames;
      const p0 = jb(deferred).framesPlayed;
      for (let i = 0; i < STALLS; i++) {
        await stall();
        await waitUntil(bothHave(next), 'the stalled period read');
        await play(BETWEEN_MS);
      }
      const byDeferred = jb(deferred).concealedFrames - d0;
      const byTimer = jb(inTimer).concealedFrames - t0;
      const why = `concealed during the stalls: deferred ${byDeferred}, in the timer ${byTimer}; deferred ${JSON.stringify(jb(deferred))} in the timer ${JSON.stringify(jb(inTimer))}`;
      // The stream kept playing through the stalls: deferred, every packet sent since was played.
      expect(jb(deferred).framesPlayed - p0, why).toBeGreaterThan((STALLS * BETWEEN_MS) / PTIME_MS / 2);
      expect(jb(deferred).lost, why).toBe(0);
      // Deferred, the ticks of a stall find its packets read: nothing concealed. Run in the timer, each
      // stall conceals the frames due after the buffer's delay: (stall − delay) / ptime, 16 here.
      expect(byDeferred, why).toBe(0);
      const structural = STALLS * Math.floor((STALL_MS - FIXED_DELAY_MS) / PTIME_MS);
      expect(byTimer, why).toBeGreaterThanOrEqual(structural);
      expect(byTimer, why).toBeLessThanOrEqual(STALLS * (STALL_MS / PTIME_MS));
    } finally {
      sender.postMessage('close');
      await sender.terminate();
      await deferred.close();
      await inTimer.close();
    }
  });
});
