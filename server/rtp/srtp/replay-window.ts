/**
 * The SRTP replay list (RFC 3711 §3.3.2) as a sliding bitmask over packet indices: `highest` is the
 * largest index received and authenticated; bit (i mod size) says whether index i, within `size` of
 * `highest`, was received. Indices are 48-bit SRTP indices or 31-bit SRTCP indices, both exact in a
 * JavaScript number.
 *
 * RFC 3711 §3.3.2: "the receiver ... SHOULD use a replay list of at least 64 packets"; the window is
 * configurable because at a 1 ms packet time 64 packets are only 64 ms of reordering.
 *
 * `check` only reads, `accept` only writes: the caller checks, authenticates, and accepts only an
 * authenticated packet, so a forged packet can never move the window (§3.3.2: "update the replay
 * list ... only after ... authentication").
 */
import { SrtpConfigError } from './srtp-error.js';

export const REPLAY_WINDOW_MIN = 64;
/** Must stay below 2^15 so a window never spans an ambiguous half of the 16-bit sequence space. */
export const REPLAY_WINDOW_MAX = 0x4000;

export type ReplayVerdict = 'new' | 'replay' | 'too-old';

export class ReplayWindow {
  readonly size: number;
  private readonly bits: Uint32Array;
  /** Largest accepted index, −1 before the first packet. */
  private highest = -1;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < REPLAY_WINDOW_MIN || size > REPLAY_WINDOW_MAX) {
      throw new SrtpConfigError(
        `replay window must be an integer in [${REPLAY_WINDOW_MIN}, ${REPLAY_WINDOW_MAX}], got ${size}`,
        'replayWindow',
      );
    }
    this.size = size;
    this.bits = new Uint32Array(Math.ceil(size / 32));
  }

  /** The largest accepted index, or −1 when nothing was accepted yet. */
  get highestIndex(): number {
    return this.highest;
  }

  check(index: number): ReplayVerdict {
    if (index > this.highest) return 'new';
    if (this.highest - index >= this.size) return 'too-old';
    return this.isSet(index) ? 'replay' : 'new';
  }

  /** Records an authenticated index (the caller has checked it with `check`). */
  accept(index: number): void {
    if (index > this.highest) {
      const advance = this.highest < 0 ? this.size : index - this.highest;
      if (advance >= this.size) {
        this.bits.fill(0);
      } else {
        for (let i = this.highest + 1; i < index; i++) this.clear(i);
      }
      this.highest = index;
    }
    this.set(index);
  }

  private isSet(index: number): boolean {
    const pos = index % this.size;
    return ((this.bits[pos >>> 5] ?? 0) & (1 << (pos & 31))) !== 0;
  }

  private set(index: number): void {
    const pos = index % this.size;
    this.bits[pos >>> 5] = (this.bits[pos >>> 5] ?? 0) | (1 << (pos & 31));
  }

  private clear(index: number): void {
    const pos = index % this.size;
    this.bits[pos >>> 5] = (this.bits[pos >>> 5] ?? 0) & ~(1 << (pos & 31));
  }
}
