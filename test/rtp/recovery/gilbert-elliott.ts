/**
 * A seeded Gilbert–Elliott loss channel for the recovery simulations: two states, Good and Bad,
 * a per-packet chance of switching (p: Good→Bad, r: Bad→Good), and a loss probability in each.
 * Bursty loss: in the Bad state most packets go, and the state lasts 1/r packets on average.
 */
import { mulberry32 } from '../../helpers/prng.js';

export interface GilbertElliottParams {
  /** Good → Bad per packet. */
  p: number;
  /** Bad → Good per packet. */
  r: number;
  lossGood: number;
  lossBad: number;
}

/**
 * Parameters for a mean loss rate with a given mean stay in the Bad state (packets), losing
 * `lossBad` there and `lossGood` in the Good state: πB = (L − k)/(h − k), p = πB·r/(1 − πB).
 */
export function gilbertElliottFor(meanLoss: number, meanBadPackets = 3, lossBad = 0.8, lossGood = 0.002): GilbertElliottParams {
  const r = 1 / meanBadPackets;
  const piBad = (meanLoss - lossGood) / (lossBad - lossGood);
  return { p: (piBad * r) / (1 - piBad), r, lossGood, lossBad };
}

/** One channel: the state of each 20 ms slot, drawn up front, and a loss draw per packet sent. */
export class GilbertElliottChannel {
  private readonly rng: () => number;
  private readonly bad: boolean[] = [];

  constructor(private readonly params: GilbertElliottParams, seed: number, slots: number) {
    this.rng = mulberry32(seed);
    let bad = false;
    for (let i = 0; i < slots; i++) {
      this.bad.push(bad);
      bad = bad ? this.rng() >= params.r : this.rng() < params.p;
    }
  }

  /** Whether a packet sent in `slot` is lost (each call draws again). */
  lose(slot: number): boolean {
    const bad = this.bad[Math.min(slot, this.bad.length - 1)] ?? false;
    return this.rng() < (bad ? this.params.lossBad : this.params.lossGood);
  }

  /** The loss pattern of one packet per slot. */
  pattern(): boolean[] {
    return this.bad.map((_, i) => this.lose(i));
  }
}

/** Mean length of the runs of `true` in a pattern. */
export function meanBurst(lost: readonly boolean[]): number {
  let runs = 0;
  let total = 0;
  for (let i = 0; i < lost.length; i++) {
    if (!lost[i]) continue;
    total++;
    if (i === 0 || !lost[i - 1]) runs++;
  }
  return runs === 0 ? 0 : total / runs;
}
