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
  /**
   * Move the Gilbert–Elliott state once per slot of this many ms of wall time (from the first
   * datagram) instead of once per datagram, so a burst lasts a time rather than a packet count:
   * sparse traffic (RTCP, retransmissions) then meets the same bursts as the media beside it. Each
   * datagram still draws its own loss in the current state. Omit for one step per datagram.
   */
  lossSlotMs?: number;
  /** Probability that a packet is held back by `reorderDelayMs` (lands after later ones). */
  reorderProb?: number;
  /** Default 3 × the packet spacing is typical; default 15 ms. */
  reorderDelayMs?: number;
  /** Probability that a packet is sent twice (the copy `duplicateDelayMs` later, default 1 ms). */
  duplicateProb?: number;
  duplicateDelayMs?: number;
  /** Clock skew in ppm: delivery times are stretched by (1 + ppm·1e-6) from the first packet on. */
  skewPpm?: number;
  /**
   * Impair only RTP packets of these payload types (e.g. the media, not its RTX retransmissions,
   * RFC 4588). Any other datagram passes untouched after `delayMs`, draws nothing from the PRNG (so
   * the impaired packets meet the same fate however many others pass) and counts as `bypassed`.
   * Omit to impair every datagram.
   */
  onlyPayloadTypes?: readonly number[];
}

export interface DirectionCounters {
  received: number;
  forwarded: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** Longest run of consecutive lost packets. */
  longestBurst: number;
  /** Datagrams passed without impairment because of `onlyPayloadTypes` (not in `received`). */
  bypassed: number;
  /** Octets (UDP payload) of every datagram that reached the relay in this direction, lost or not. */
  octets: number;
}

/** The payload type of an RTP datagram (RFC 3550 §5.1), undefined for anything shorter than its fixed header. */
function rtpPayloadType(msg: Buffer): number | undefined {
  return msg.length >= 12 ? msg[1]! & 0x7f : undefined;
}

class Direction {
  readonly c: DirectionCounters = { received: 0, forwarded: 0, lost: 0, duplicated: 0, reordered: 0, longestBurst: 0, bypassed: 0, octets: 0 };
  private readonly rnd: () => number;
  /** The state chain's own draws when it moves on the clock (`lossSlotMs`). */
  private readonly slotRnd: () => number;
  private slot = 0;
  private slotT0: number | undefined;
  private bad = false;
  private burst = 0;
  private t0: number | undefined;
  private lastRelease = 0;

  constructor(
    private readonly imp: Impairment,
    seed: number,
  ) {
    this.rnd = mulberry32(seed);
    this.slotRnd = mulberry32(seed ^ 0x2545f491);
  }

  /** Decides one packet's fate: the delays (ms from now) at which copies leave, empty if lost. */
  decide(now: number, msg?: Buffer): number[] {
    const imp = this.imp;
    this.c.octets += msg?.length ?? 0;
    if (imp.onlyPayloadTypes && msg) {
      const pt = rtpPayloadType(msg);
      if (pt === undefined || !imp.onlyPayloadTypes.includes(pt)) {
        this.c.bypassed++;
        return [imp.delayMs ?? 0];
      }
    }
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
      if (imp.lossSlotMs !== undefined && imp.lossSlotMs > 0) {
        this.slotT0 ??= now;
        const slot = Math.floor((now - this.slotT0) / imp.lossSlotMs);
        for (; this.slot < slot; this.slot++) {
          const u = this.slotRnd();
          this.bad = this.bad ? u >= ge.r : u < ge.p;
        }
      } else this.bad = this.bad ? uState >= ge.r : uState < ge.p;
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

/**
 * What the relay did with one datagram, for a bench's timeline: `lost` or `queued` when it reached
 * the relay, then `sent` each time a copy actually left (the timer's own lateness included).
 * `atMs` is `performance.now()`.
 */
export interface RelayEvent {
  dir: 'aToB' | 'bToA';
  event: 'lost' | 'queued' | 'sent';
  msg: Buffer;
  atMs: number;
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
  /** Told of every datagram's fate (both directions); a listener that throws is not contained. */
  onEvent?: (e: RelayEvent) => void;
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
      this.forward(this.ab, 'aToB', msg, sideB, opts.b);
    });
    sideB.on('message', (msg) => {
      if (this.a) this.forward(this.ba, 'bToA', msg, sideA, this.a);
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

  private forward(dir: Direction, name: RelayEvent['dir'], msg: Buffer, out: dgram.Socket, to: { address: string; port: number }): void {
    if (this.closed) return;
    const now = performance.now();
    const delays = dir.decide(now, msg);
    const tell = this.opts.onEvent;
    tell?.({ dir: name, event: delays.length === 0 ? 'lost' : 'queued', msg, atMs: now });
    for (const delay of delays) {
      const send = (): void => {
        if (this.closed) return;
        dir.c.forwarded++;
        out.send(msg, to.port, to.address);
        tell?.({ dir: name, event: 'sent', msg, atMs: performance.now() });
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
