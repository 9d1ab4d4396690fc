import { describe, expect, it } from 'vitest';
import { JitterBuffer, type JitterBufferOptions, type PlayoutFrame } from '../../../server/media/jitter-buffer.js';
import { simulateTrace } from '../../bench/jitter/simulate.js';
import { generateTrace } from '../../bench/jitter/traces.js';

/**
 * When playout re-anchors on late packets. Table-driven, fake clock: rows of (sequence, timestamp,
 * arrival ms) are pushed as a frame clock ticks every 20 ms (at 5, 25, 45, … ms), one frame popped a
 * tick; expected playout per tick: the sequence number played, '-' not started, 'L' lost, 'U' underrun,
 * 'G' gap. Adaptive 0–100 ms, 8 kHz RTP clock, 160 units a 20 ms frame; the drift estimator is narrowed
 * to ±300 ppm so that a sender a few percent slow is beyond it (it would follow up to ±3 %).
 */
const SPF = 160;
type Row = [seq: number, ts: number, arrivalMs: number];
const OPTS: JitterBufferOptions = {
  mode: 'adaptive', minDelayMs: 0, maxDelayMs: 100, initialDelayMs: 40, ptimeMs: 20, rtpClockRate: 8000, samplesPerFrame: SPF,
  drift: { maxPpm: 300 },
};

function code(f: PlayoutFrame): number | string {
  if (f.kind === 'packet') return f.seq;
  return { 'not-started': '-', lost: 'L', underrun: 'U', gap: 'G' }[f.reason];
}

function run(rows: Row[], ticks: number): { out: (number | string)[]; jb: JitterBuffer } {
  const jb = new JitterBuffer(OPTS);
  const sorted = [...rows].map((r, i) => ({ r, i })).sort((a, b) => a.r[2] - b.r[2] || a.i - b.i).map((x) => x.r);
  const out: (number | string)[] = [];
  let k = 0;
  for (let t = 0; t < ticks; t++) {
    const now = 5 + 20 * t;
    while (k < sorted.length && (sorted[k] as Row)[2] <= now) {
      const [seq, ts, arrivalMs] = sorted[k++] as Row;
      jb.push({ seq, timestamp: ts, payload: Buffer.from([seq & 0xff]), arrivalMs });
    }
    out.push(code(jb.pop(now)));
  }
  return { out, jb };
}

/** Packets 0…n−1, sent every 20 ms, arriving 10 ms later unless `arrival` says otherwise. */
function stream(n: number, arrival: (i: number) => number | undefined = () => undefined): Row[] {
  return Array.from({ length: n }, (_, i) => [i, i * SPF, arrival(i) ?? 20 * i + 10] as Row);
}

/**
 * The tail of a delay spike taller than the maximum, the shape mobile seed 8 showed on the packet-time
 * clock: packets 50–69 are held and come out in three bursts 31 and 33 ms apart (53 just behind 54),
 * each burst's first packet arriving a few ms after a pull, while the buffer, at its maximum, lets one
 * slot pass a tick. Within each burst the packets drain, but 54, 53 and 60 did not look less late than
 * the packet before them (two slots had passed between the bursts): with 50 they made four late
 * packets in a row, playout re-anchored on 60, far above the maximum, and the overflow then dropped
 * the frames it had just re-anchored on. Over the run the lateness fell from about 220 ms to 20 ms.
 */
const SPIKE_BURSTS: [from: number, to: number, arrivalMs: number][] = [[50, 52, 1341.6], [54, 54, 1372.3], [53, 53, 1372.31], [55, 59, 1372.4], [60, 69, 1405.3]];
const spikeTail = stream(100, (i) => SPIKE_BURSTS.find(([from, to]) => i >= from && i <= to)?.[2]);

describe('jitter buffer re-anchoring', () => {
  it('plays on after the tail of a delay spike beyond the maximum, without re-anchoring or overflowing', () => {
    const { out, jb } = run(spikeTail, 80);
    // 50 is taken for lost, two stalls reach the maximum, then one slot passes a tick until the
    // bursts have caught up: 60–65 are still late, 66 is the first to play, at the same delay as before.
    expect(out.slice(51, 75)).toEqual([48, 49, 'L', 'U', 'U', ...Array<string>(15).fill('L'), 66, 67, 68, 69]);
    const st = jb.stats();
    expect(st.resyncs).toBe(0);
    expect(st.overflows).toBe(0);
    expect(st.framesDropped).toBe(0);
    expect(st.late).toBe(16);
  });

  const reanchor: { name: string; rows: Row[]; ticks: number }[] = [
    // The delay steps up by 300 ms, three times the maximum, and stays: every packet is as late as the
    // one before, for good.
    { name: 'a delay step beyond the maximum', rows: stream(150, (i) => (i >= 50 ? 20 * i + 310 : undefined)), ticks: 150 },
    // 5 % slower than real time: each packet later than the one before.
    { name: 'a sender 5 % slower than real time', rows: stream(150, (i) => 10 + 21 * i), ticks: 150 },
    // The same sender delivering in bursts every 60 ms: each burst drains, the next starts later.
    { name: 'a sender 5 % slower than real time whose packets come in bursts', rows: stream(150, (i) => 10 + Math.ceil((21 * i) / 60) * 60), ticks: 150 },
  ];
  for (const c of reanchor) {
    it(`re-anchors once its packets stay late at the maximum: ${c.name}`, () => {
      const { out, jb } = run(c.rows, c.ticks);
      expect(jb.stats().resyncs).toBe(1);
      // Playing again, in sequence, by the end.
      const tail = out.slice(-20);
      expect(tail.every((x) => typeof x === 'number')).toBe(true);
      expect(tail).toEqual(tail.map((_, i) => (tail[0] as number) + i));
    });
  }

  it('plays the tail of mobile seed 8’s tallest spikes on the packet-time clock without re-anchoring or overflowing', () => {
    const s = simulateTrace({ trace: generateTrace({ profile: 'mobile', seed: 8 }) });
    expect(s.jb.resyncs).toBe(0);
    expect(s.overflows).toBe(0);
  });
});
