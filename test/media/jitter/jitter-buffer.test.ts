import { describe, expect, it } from 'vitest';
import { JitterBuffer, type JitterBufferOptions, type PlayoutFrame } from '../../../server/media/jitter-buffer.js';
import { AcipError } from '../../../server/util/errors.js';
import { PlayoutAdapter } from '../../../server/media/playout-adapter.js';

/**
 * Table-driven cases: rows of (sequence, timestamp, arrival ms) are pushed as a fake frame clock
 * ticks every 20 ms (at 5, 25, 45, … ms); each tick pops one frame. Expected playout per tick:
 * a number is the sequence number played, '-' is not-started, 'L' lost, 'U' underrun, 'G' gap.
 * 8 kHz RTP clock, 160 timestamp units per 20 ms frame.
 */
const SPF = 160;
type Row = [seq: number, ts: number, arrivalMs: number];

function base(over: Partial<JitterBufferOptions> = {}): JitterBufferOptions {
  return { mode: 'fixed', fixedDelayMs: 40, minDelayMs: 0, maxDelayMs: 200, ptimeMs: 20, rtpClockRate: 8000, samplesPerFrame: SPF, ...over };
}

function code(f: PlayoutFrame): number | string {
  if (f.kind === 'packet') return f.seq;
  return { 'not-started': '-', lost: 'L', underrun: 'U', gap: 'G' }[f.reason];
}

function run(rows: Row[], ticks: number, opts: JitterBufferOptions, firstTick = 5): { out: (number | string)[]; jb: JitterBuffer } {
  const jb = new JitterBuffer(opts);
  const sorted = [...rows].map((r, i) => ({ r, i })).sort((a, b) => a.r[2] - b.r[2] || a.i - b.i).map((x) => x.r);
  const out: (number | string)[] = [];
  let k = 0;
  for (let t = 0; t < ticks; t++) {
    const now = firstTick + 20 * t;
    while (k < sorted.length && (sorted[k] as Row)[2] <= now) {
      const [seq, ts, arrivalMs] = sorted[k++] as Row;
      jb.push({ seq, timestamp: ts, payload: Buffer.from([seq & 0xff]), arrivalMs });
    }
    out.push(code(jb.pop(now)));
  }
  return { out, jb };
}

/** In-order stream: seq s0+i, ts ts0+i·SPF, arriving at 20·i ms. */
function stream(n: number, s0 = 0, ts0 = 0): Row[] {
  return Array.from({ length: n }, (_, i) => [(s0 + i) % 65536, (ts0 + i * SPF) % 2 ** 32, 20 * i] as Row);
}

describe('JitterBuffer playout table (fixed 40 ms)', () => {
  const cases: { name: string; rows: Row[]; ticks: number; expect: (number | string)[]; stats?: Record<string, number> }[] = [
    { name: 'plays an in-order stream after the 40 ms prefetch', rows: stream(6), ticks: 8, expect: ['-', '-', 0, 1, 2, 3, 4, 5] },
    {
      name: 'puts a packet reordered within the window back in sequence',
      rows: [[0, 0, 0], [1, 160, 20], [3, 480, 40], [2, 320, 41], [4, 640, 80], [5, 800, 100]],
      ticks: 8, expect: ['-', '-', 0, 1, 2, 3, 4, 5], stats: { reordered: 1, lost: 0 },
    },
    {
      name: 'drops and counts a duplicate',
      rows: [[0, 0, 0], [1, 160, 20], [1, 160, 21], [2, 320, 40], [3, 480, 60]],
      ticks: 6, expect: ['-', '-', 0, 1, 2, 3], stats: { duplicate: 1, received: 5 },
    },
    {
      name: 'conceals a lost packet as lost and carries on',
      rows: stream(6).filter((r) => r[0] !== 2),
      ticks: 8, expect: ['-', '-', 0, 1, 'L', 3, 4, 5], stats: { lost: 1, concealedFrames: 1, concealmentEvents: 1 },
    },
    {
      name: 'counts a packet that arrives after its slot as late, not lost',
      rows: [[0, 0, 0], [1, 160, 20], [3, 480, 60], [2, 320, 90], [4, 640, 80], [5, 800, 100]],
      ticks: 8, expect: ['-', '-', 0, 1, 'L', 3, 4, 5], stats: { late: 1, lost: 0, concealedFrames: 1 },
    },
    {
      name: 'follows the sequence number across the 65535 → 0 wrap',
      rows: stream(5, 65534, 1000), ticks: 7, expect: ['-', '-', 65534, 65535, 0, 1, 2], stats: { lost: 0, reordered: 0 },
    },
    {
      name: 'follows the timestamp across the 2^32 wrap',
      rows: stream(5, 100, 2 ** 32 - 2 * SPF), ticks: 7, expect: ['-', '-', 100, 101, 102, 103, 104], stats: { lost: 0, gapFrames: 0 },
    },
    {
      name: 'passes an empty slot in fixed mode (underrun) and counts the packet late when it comes',
      rows: [[0, 0, 0], [1, 160, 20], [2, 320, 100], [3, 480, 101], [4, 640, 102]],
      ticks: 7, expect: ['-', '-', 0, 1, 'U', 3, 4], stats: { underruns: 1, late: 1 },
    },
    {
      // Until the packet after the silence arrives the buffer cannot tell silence from trouble (U);
      // once it is there, the remaining silence is a gap (G) and the packet plays at its time.
      name: 'waits through a sender silence (timestamp gap with contiguous sequence numbers) without loss',
      rows: [[0, 0, 0], [1, 160, 20], [2, 160 * 5, 100], [3, 160 * 6, 120]],
      ticks: 9, expect: ['-', '-', 0, 1, 'U', 'G', 'G', 2, 3], stats: { lost: 0, late: 0, gapFrames: 2, concealedFrames: 1 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { out, jb } = run(c.rows, c.ticks, base());
      expect(out).toEqual(c.expect);
      const st = jb.stats() as unknown as Record<string, number>;
      for (const [k, v] of Object.entries(c.stats ?? {})) expect(st[k], k).toBe(v);
    });
  }

  it('holds nothing back longer than the prefetch: playout starts at exactly the set delay', () => {
    const { out } = run(stream(10), 10, base({ fixedDelayMs: 60 }));
    expect(out.slice(0, 4)).toEqual(['-', '-', '-', 0]);
  });

  it('keeps the fixed delay within one frame and never moves the target', () => {
    const rows = stream(300).map(([s, t, a]) => [s, t, a + ((s * 7) % 5)] as Row);
    const { jb } = run(rows, 300, base({ fixedDelayMs: 40 }));
    const st = jb.stats();
    expect(st.targetDelayMs).toBe(40);
    expect(st.currentDelayMs).toBeGreaterThanOrEqual(40);
    expect(st.currentDelayMs).toBeLessThan(40 + 20);
  });

  it('drops the oldest packets on overflow and counts them', () => {
    // Eight packets arrive before the first pull; room for four.
    const rows: Row[] = stream(8).map(([s, t]) => [s, t, 0]);
    const { out, jb } = run(rows, 6, base({ fixedDelayMs: 0, maxPackets: 4 }));
    expect(out[0]).toBe(4);
    expect(out.slice(0, 4)).toEqual([4, 5, 6, 7]);
    expect(jb.stats().overflowDropped).toBe(4);
    expect(jb.stats().overflows).toBeGreaterThanOrEqual(1);
  });

  it('counts every packet of an outage longer than its sequence ring as lost, and a late one among the last as late', () => {
    // 0–4, then nothing until 600: 595 sequence numbers lost (more than the 256 the ring keeps), then
    // 599 turns up late (one behind the highest: within RFC 3550 A.1's MAX_MISORDER).
    const rows: Row[] = [...stream(5), ...stream(10, 600, 600 * SPF).map(([s, t]) => [s, t, 20 * s] as Row), [599, 599 * SPF, 20 * 603]];
    const { jb } = run(rows, 615, base());
    expect(jb.stats().lost).toBe(594);
    expect(jb.stats().late).toBe(1);
  });

  it('drops a lone far-future packet but resynchronises on two consecutive ones', () => {
    const jb = new JitterBuffer(base({ fixedDelayMs: 0 }));
    jb.push({ seq: 10, timestamp: 1600, payload: Buffer.alloc(1), arrivalMs: 0 });
    jb.push({ seq: 9000, timestamp: 5_000_000, payload: Buffer.alloc(1), arrivalMs: 1 });
    expect(jb.stats().outOfRange).toBe(1);
    expect(jb.stats().resyncs).toBe(0);
    jb.push({ seq: 20000, timestamp: 9_000_000, payload: Buffer.alloc(1), arrivalMs: 2 });
    jb.push({ seq: 20001, timestamp: 9_000_160, payload: Buffer.alloc(1), arrivalMs: 3 });
    expect(jb.stats().resyncs).toBe(1);
    expect(jb.stats().outOfRange).toBe(1);
    const f = jb.pop(5);
    expect(f.kind === 'packet' && f.seq).toBe(20000);
  });

  it('drops and counts packets with impossible fields instead of throwing', () => {
    const jb = new JitterBuffer(base());
    expect(() => jb.push({ seq: 70000, timestamp: 0, payload: Buffer.alloc(0), arrivalMs: 0 })).not.toThrow();
    expect(() => jb.push({ seq: 1, timestamp: -5, payload: Buffer.alloc(0), arrivalMs: 0 })).not.toThrow();
    expect(jb.stats().outOfRange).toBe(2);
    expect(jb.stats().received).toBe(0);
  });

  it('rejects inconsistent options with a typed error', () => {
    expect(() => new JitterBuffer(base({ maxDelayMs: 10, minDelayMs: 20 }))).toThrow(AcipError);
    try {
      new JitterBuffer(base({ samplesPerFrame: 0 }));
    } catch (e) {
      expect((e as AcipError).code).toBe('JB_BAD_OPTION');
    }
  });
});

describe('JitterBuffer adaptive mode', () => {
  const adaptive = (over: Partial<JitterBufferOptions> = {}) => base({ mode: 'adaptive', fixedDelayMs: undefined, minDelayMs: 0, maxDelayMs: 300, initialDelayMs: 40, ...over });

  it('does not start before the initial target delay', () => {
    const { out } = run(stream(10), 10, adaptive({ initialDelayMs: 60 }));
    expect(out.slice(0, 4)).toEqual(['-', '-', '-', 0]);
  });

  it('stalls through a delay spike, then plays the burst and shrinks back', () => {
    // Packets 0–9 on time, 10–14 held by a spike and delivered together at 300 ms, then on time again.
    // The first empty pull finds packet 10 overdue by the target's measure: it is taken for lost (and
    // counted late when it turns up); the next pulls stall, so 11–14 play and nothing else is lost.
    // Driven through the PlayoutAdapter, whose FIFO makes the stretch hints take effect (exact
    // splices, so that what it removed is what the buffer asked, sample for sample).
    const rows: Row[] = stream(400).map(([s, t, a]) => [s, t, s >= 10 && s < 15 ? 300 : a] as Row);
    const sorted = [...rows].sort((a, b) => a[2] - b[2]);
    const jb = new JitterBuffer(adaptive());
    const ad = new PlayoutAdapter({
      buffer: jb, channels: 1, sampleRate: 8000, frameSamples: SPF, splice: 'exact',
      decode: (p) => new Float32Array(SPF).fill((p[0] as number) / 256),
      conceal: () => new Float32Array(SPF),
    });
    const played: number[] = [];
    let k = 0;
    for (let t = 0; t < 400; t++) {
      const now = 5 + 20 * t;
      while (k < sorted.length && (sorted[k] as Row)[2] <= now) {
        const [seq, ts, arrivalMs] = sorted[k++] as Row;
        jb.push({ seq, timestamp: ts, payload: Buffer.from([seq & 0xff]), arrivalMs });
      }
      const out = ad.tick(now);
      expect(out.length).toBe(SPF);
      for (const f of ad.lastFrames) if (f.kind === 'packet') played.push(f.seq);
    }
    expect(played.slice(0, 29)).toEqual([...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 19 }, (_, i) => 11 + i)]);
    const st = jb.stats();
    expect(st.lost).toBe(0);
    expect(st.late).toBe(1);
    expect(st.underrunFrames).toBe(2);
    // The burst left 40 ms of extra delay; the buffer had samples removed to get back down.
    expect(st.samplesDropped).toBeGreaterThan(0);
    expect(ad.stats().samplesRemoved).toBe(st.samplesDropped);
    expect(ad.stats().shortTicks).toBe(0);
    expect(st.currentDelayMs).toBeLessThan(st.targetDelayMs + 20 + 2.5);
  });

  it('lowers its target towards the jitter actually seen once warmed up, within [min, max]', () => {
    const rows = stream(400).map(([s, t, a]) => [s, t, a + ((s * 37) % 7)] as Row);
    const { jb } = run(rows, 400, adaptive({ minDelayMs: 2 }));
    const st = jb.stats();
    expect(st.targetDelayMs).toBeGreaterThanOrEqual(6);
    expect(st.targetDelayMs).toBeLessThanOrEqual(10);
    expect(st.concealedFrames).toBe(0);
  });

  it('respects minDelayMs on a perfectly clean network', () => {
    const { jb } = run(stream(200), 200, adaptive({ minDelayMs: 25 }));
    expect(jb.stats().targetDelayMs).toBe(25);
  });
});
