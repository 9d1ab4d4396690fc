import { describe, expect, it } from 'vitest';
import { JitterBuffer } from '../../../server/media/jitter-buffer.js';
import { PlayoutAdapter } from '../../../server/media/playout-adapter.js';

/**
 * A stall of the receiving process (GC, a busy machine) holds its socket reads and its output's pulls
 * alike: at its end the packets that came meanwhile are read (stamped then), and then the catch-up
 * ticks run with their due times and find those packets in time. That is no network jitter, and the
 * delay statistics must not take it for some (when they did, stalls of 60 ms once a second took the
 * target to the heavy-tail regime's 210 ms). An output on a clock of its own (an audio thread) ticks
 * on through a stall of the reads alone: then the packets were late for it, and their stamps stand.
 *
 * Fake clock, as the media session runs: 20 ms packets (8 kHz) arrive 10–14 ms after they are sent (a
 * fixed pattern); the output ticks every 5 ms through a PlayoutAdapter; from 10 s on the process stalls
 * once a second (a few percent of the packets read late: more than the 1 % the target leaves late).
 */
const SPF = 160;
const TICK_MS = 5;
const STALLS_FROM = 10_000;
const STALL_EVERY = 1000;
const PACKETS = 3000;

interface Outcome {
  targetBefore: number;
  targetMaxAfter: number;
  concealedAfter: number;
}

/** Runs the reads and ticks in the order the process does them: by when they run, reads first. */
function run(stallMs: number, ticksHeld: boolean): Outcome {
  // A stall begins at every STALL_EVERY from STALLS_FROM on; what falls in one runs at its end.
  const held = (t: number) => {
    const into = (t - STALLS_FROM) % STALL_EVERY;
    return t >= STALLS_FROM && into < stallMs ? t - into + stallMs : t;
  };
  const arrival = (i: number) => 20 * i + 10 + ((i * 7) % 5);
  const jb = new JitterBuffer({ mode: 'adaptive', minDelayMs: 0, maxDelayMs: 300, ptimeMs: 20, pullPeriodMs: TICK_MS, rtpClockRate: 8000, samplesPerFrame: SPF });
  const out = { targetBefore: NaN, targetMaxAfter: 0, concealedAfter: 0 };
  let due = 0;
  const adapter = new PlayoutAdapter({
    buffer: jb, channels: 1, sampleRate: 8000, frameSamples: (TICK_MS * 8000) / 1000, codecFrameSamples: SPF,
    decode: () => new Float32Array(SPF), conceal: () => new Float32Array(SPF),
    onFrame: (f) => {
      if (due >= STALLS_FROM && f.kind === 'missing' && f.reason !== 'not-started') out.concealedAfter++;
    },
  });
  const actions: { at: number; order: number; run: () => void }[] = [];
  for (let i = 0; i < PACKETS; i++) {
    const at = held(arrival(i));
    actions.push({ at, order: 0, run: () => jb.push({ seq: i, timestamp: i * SPF, payload: Buffer.alloc(1), arrivalMs: at }) });
  }
  for (let k = 0; k < (PACKETS * 20) / TICK_MS; k++) {
    const tickDue = 5 + TICK_MS * k;
    actions.push({
      at: ticksHeld ? held(tickDue) : tickDue,
      order: 1,
      run: () => {
        due = tickDue;
        if (due < STALLS_FROM) out.targetBefore = jb.targetDelayMs;
        else out.targetMaxAfter = Math.max(out.targetMaxAfter, jb.targetDelayMs);
        adapter.tick(due);
      },
    });
  }
  actions.sort((a, b) => a.at - b.at || a.order - b.order);
  for (const a of actions) a.run();
  return out;
}

describe('jitter buffer and a stall of the receiving process', () => {
  it.each([30, 60, 150])('keeps its target and conceals nothing through %i ms stalls of reads and ticks alike', (stallMs) => {
    const r = run(stallMs, true);
    expect(r.targetMaxAfter).toBeLessThanOrEqual(r.targetBefore + 2);
    expect(r.concealedAfter).toBe(0);
  });

  it('takes the packets as late when the output ticked on through stalls of the reads alone', () => {
    const r = run(60, false);
    expect(r.concealedAfter).toBeGreaterThan(0);
  });
});
