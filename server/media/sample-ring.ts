/**
 * A bounded FIFO of interleaved Float32 audio, counted in frames. Used between a producer that
 * runs on its own schedule (a capture subprocess, the receive path for loopback) and a reader
 * paced by the frame clock. Never grows past its capacity.
 */
export class SampleRing {
  readonly channels: number;
  readonly capacityFrames: number;
  private readonly buf: Float32Array;
  private readPos = 0; // in frames
  private count = 0; // in frames

  constructor(capacityFrames: number, channels: number) {
    this.capacityFrames = Math.max(1, Math.floor(capacityFrames));
    this.channels = channels;
    this.buf = new Float32Array(this.capacityFrames * channels);
  }

  get availableFrames(): number {
    return this.count;
  }

  get freeFrames(): number {
    return this.capacityFrames - this.count;
  }

  /**
   * Appends whole frames. With `dropOldest` a full ring discards its oldest frames to make room
   * (the newest audio wins, latency stays bounded); otherwise the newest frames that do not fit
   * are refused. Returns the number of frames discarded or refused.
   */
  push(samples: Float32Array, dropOldest: boolean): number {
    const C = this.channels;
    let frames = Math.floor(samples.length / C);
    let src = 0;
    let lost = 0;
    if (frames > this.capacityFrames) {
      // Only the last `capacity` frames could ever survive.
      const skip = frames - this.capacityFrames;
      if (dropOldest) {
        src = skip;
        lost += skip;
      } else {
        lost += skip;
      }
      frames = this.capacityFrames;
    }
    const over = this.count + frames - this.capacityFrames;
    if (over > 0) {
      if (dropOldest) {
        this.readPos = (this.readPos + over) % this.capacityFrames;
        this.count -= over;
        lost += over;
      } else {
        frames -= over;
        lost += over;
      }
    }
    let write = (this.readPos + this.count) % this.capacityFrames;
    let left = frames;
    while (left > 0) {
      const n = Math.min(left, this.capacityFrames - write);
      this.buf.set(samples.subarray(src * C, (src + n) * C), write * C);
      src += n;
      left -= n;
      write = (write + n) % this.capacityFrames;
    }
    this.count += frames;
    return lost;
  }

  /** Copies up to `frames` frames into `out` (from frame offset `outFrame`); returns how many were copied. */
  read(out: Float32Array, frames: number, outFrame = 0): number {
    const C = this.channels;
    const take = Math.min(frames, this.count);
    let left = take;
    let dst = outFrame;
    while (left > 0) {
      const n = Math.min(left, this.capacityFrames - this.readPos);
      out.set(this.buf.subarray(this.readPos * C, (this.readPos + n) * C), dst * C);
      dst += n;
      left -= n;
      this.readPos = (this.readPos + n) % this.capacityFrames;
    }
    this.count -= take;
    return take;
  }

  clear(): void {
    this.readPos = 0;
    this.count = 0;
  }
}

/**
 * A SampleRing read by a clock-paced consumer from a producer on another schedule. After start
 * and after every underrun the reader waits until `primeFrames` (or, if not set, twice the frames
 * it asks for) are queued before it takes audio again, so that a producer whose ticks land just
 * after the reader's does not cause an alternating underrun pattern. Reads never block: missing
 * audio is silence, counted in `underrunFrames` (only after `started`, i.e. once audio has arrived).
 */
export class PrimedQueue {
  readonly ring: SampleRing;
  private readonly primeOption: number | undefined;
  private priming = true;
  started = false;
  underrunFrames = 0;
  droppedFrames = 0;

  constructor(capacityFrames: number, channels: number, primeFrames?: number) {
    this.ring = new SampleRing(capacityFrames, channels);
    this.primeOption = primeFrames;
  }

  /** Appends, dropping the oldest audio on overflow (counted). */
  push(samples: Float32Array): void {
    if (samples.length > 0) this.started = true;
    this.droppedFrames += this.ring.push(samples, true);
  }

  /** What `read` returns: the queue's own array, refilled by each read (valid until the next one). */
  private out = new Float32Array(0);

  read(frames: number): Float32Array {
    if (this.out.length !== frames * this.ring.channels) this.out = new Float32Array(frames * this.ring.channels);
    const out = this.out;
    out.fill(0);
    const prime = Math.min(Math.max(this.primeOption ?? 2 * frames, frames), this.ring.capacityFrames);
    if (this.priming) {
      if (this.ring.availableFrames < prime) {
        if (this.started) this.underrunFrames += frames;
        return out;
      }
      this.priming = false;
    }
    const got = this.ring.read(out, frames);
    if (got < frames) {
      this.underrunFrames += frames - got;
      this.priming = true;
    }
    return out;
  }
}
