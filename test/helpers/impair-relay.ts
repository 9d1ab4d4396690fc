/**
 * A seeded UDP impairment relay for tests (there is no netem on these machines): it stands between
 * two endpoints A and B and forwards datagrams both ways, impairing each direction on its own:
 * fixed delay, jitter, bursty loss (Gilbert–Elliott), reordering, duplication and clock skew.
 *
 *   A ──▶ [sideA socket] ─ impair(aToB) ─▶ [sideB socket] ──▶ B
 *   A ◀── [sideA socket] ◀─ impair(bToA) ─ [sideB socket] ◀── B
 *
 * A sends to `sideAPort`, B to `sideBPort`; each sees the relay as its peer, so symmetric RTP
 * latching (RFC 4961) works through it. Use one relay for RTP and one for RTCP.
 *
 * Determinism: every decision (lost or not, extra delay, duplicate, reorder) is drawn from a PRNG
 * seeded per direction, in packet order, so the same packets meet the same fate in every run; only
 * the wall-clock delivery times vary with the timer's accuracy (about 1 ms).
 */
import dgram from 'node:dgram';
import { mulberry32 } from './prng.js';

export interface GilbertElliott {
  /** P(good → bad) per packet. */
  p: number;
  /** P(bad → good) per packet. Mean burst length is 1/r packets. */
  r: number;
  /** Loss probability in the good state (default 0). */
  lossGood?: number;
  /** Loss probability in the bad state (default 1). */
  lossBad?: number;
}

export interface Impairment {
  /** Constant one-way delay, ms. */
  delayMs?: number;
  /** Extra delay drawn uniformly from [0, jitterMs) per packet; order is kept unless `jitterReorders`. */
  jitterMs?: number;
  /** Let jitter reorder packets (default false: a packet never overtakes an earlier one). */
  jitterReorders?: boolean;
  /** Bursty loss; omit for none. */
  loss?: GilbertElliott;
  /** Probability that a packet is held back by `reorderDelayMs` (lands after later ones). */
  reorderProb?: number;
  /** Default 3 × the packet spacing is typical; default 15 ms. */
  reorderDelayMs?: number;
  /** Probability that a packet is sent twice (the copy `duplicateDelayMs` later, default 1 ms). */
  duplicateProb?: number;
  duplicateDelayMs?: number;
  /** Clock skew in ppm: delivery times are stretched by (1 + ppm·1e-6) from the first packet on. */
  skewPpm?: number;
}

export interface DirectionCounters {
  received: number;
  forwarded: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** Longest run of consecutive lost packets. */
  longestBurst: number;
}

class Direction {
  readonly c: DirectionCounters = { received: 0, forwarded: 0, lost: 0, duplicated: 0, reordered: 0, longestBurst: 0 };
  private readonly rnd: () => number;
  private bad = false;
  private burst = 0;
  private t0: number | undefined;
  private lastRelease = 0;

  constructor(
    private readonly imp: Impairment,
    seed: number,
  ) {
    this.rnd = mulberry32(seed);
  }

  /** Decides one packet's fate: the delays (ms from now) at which copies leave, empty if lost. */
  decide(now: number): number[] {
    const imp = this.imp;
    this.c.received++;
    // Draw every random number for every packet, so one decision never shifts the others' draws.
    const uState = this.rnd();
    const uLoss = this.rnd();
    const uJitter = this.rnd();
    const uReorder = this.rnd();
    const uDup = this.rnd();
    let lost = false;
    if (imp.loss) {
      const ge = imp.loss;
      this.bad = this.bad ? uState >= ge.r : uState < ge.p;
      lost = uLoss < (this.bad ? (ge.lossBad ?? 1) : (ge.lossGood ?? 0));
    }
    if (lost) {
      this.c.lost++;
      this.burst++;
      this.c.longestBurst = Math.max(this.c.longestBurst, this.burst);
      return [];
    }
    this.burst = 0;
    if (this.t0 === undefined) this.t0 = now;
    const skew = ((now - this.t0) * (imp.skewPpm ?? 0)) / 1e6;
    let release = now + skew + (imp.delayMs ?? 0) + uJitter * (imp.jitterMs ?? 0);
    const reorder = uReorder < (imp.reorderProb ?? 0);
    if (reorder) {
      this.c.reordered++;
      release += imp.reorderDelayMs ?? 15;
    } else {
      if (!imp.jitterReorders) release = Math.max(release, this.lastRelease);
      this.lastRelease = release;
    }
    const out = [release - now];
    if (uDup < (imp.duplicateProb ?? 0)) {
      this.c.duplicated++;
      out.push(release - now + (imp.duplicateDelayMs ?? 1));
    }
    return out;
  }
}

export interface ImpairRelayOptions {
  /** Where A listens (the relay forwards B's traffic here); may be learnt from A's first datagram. */
  a?: { address: string; port: number };
  /** Where B listens. */
  b: { address: string; port: number };
  aToB?: Impairment;
  bToA?: Impairment;
  seed: number;
  host?: string;
}

export class ImpairRelay {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private a: { address: string; port: number } | undefined;
  private readonly ab: Direction;
  private readonly ba: Direction;

  private constructor(
    private readonly sideA: dgram.Socket,
    private readonly sideB: dgram.Socket,
    private readonly opts: ImpairRelayOptions,
  ) {
    this.a = opts.a;
    this.ab = new Direction(opts.aToB ?? {}, opts.seed);
    this.ba = new Direction(opts.bToA ?? {}, opts.seed ^ 0x5bd1e995);
    sideA.on('message', (msg, rinfo) => {
      this.a ??= { address: rinfo.address, port: rinfo.port };
      this.forward(this.ab, msg, sideB, opts.b);
    });
    sideB.on('message', (msg) => {
      if (this.a) this.forward(this.ba, msg, sideA, this.a);
    });
  }

  static async open(opts: ImpairRelayOptions): Promise<ImpairRelay> {
    const host = opts.host ?? '127.0.0.1';
    const bind = (): Promise<dgram.Socket> =>
      new Promise((resolve, reject) => {
        const s = dgram.createSocket('udp4');
        s.once('error', reject);
        s.bind(0, host, () => resolve(s));
      });
    return new ImpairRelay(await bind(), await bind(), opts);
  }

  /** A sends here. */
  get sideAPort(): number {
    return this.sideA.address().port;
  }

  /** B sends here. */
  get sideBPort(): number {
    return this.sideB.address().port;
  }

  /** Point the relay at B (e.g. once B's ports are known). */
  setB(b: { address: string; port: number }): void {
    this.opts.b = b;
  }

  counters(): { aToB: DirectionCounters; bToA: DirectionCounters } {
    return { aToB: { ...this.ab.c }, bToA: { ...this.ba.c } };
  }

  private forward(dir: Direction, msg: Buffer, out: dgram.Socket, to: { address: string; port: number }): void {
    if (this.closed) return;
    for (const delay of dir.decide(performance.now())) {
      const send = (): void => {
        if (this.closed) return;
        dir.c.forwarded++;
        out.send(msg, to.port, to.address);
      };
      if (delay <= 0) send();
      else {
        const t = setTimeout(() => {
          this.timers.delete(t);
          send();
        }, delay);
        this.timers.add(t);
      }
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    return Promise.all([new Promise<void>((r) => this.sideA.close(() => r())), new Promise<void>((r) => this.sideB.close(() => r()))]).then(() => undefined);
  }
}
