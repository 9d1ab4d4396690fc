/**
 * Concealment for codecs without a model of their own (L16, L24, G.711, G.722): repeat the last
 * good frame with a linear fade that reaches silence FADE_MS after the loss began, then silence.
 *
 * Why: repeating a frame forever turns a dead link into a buzz at 1/ptime Hz; cutting straight to
 * silence clicks. A short fade of the last audio hides a single lost packet (at 1-5 ms packets it is
 * barely audible) and degrades to silence on a long outage. When real audio resumes it is played
 * untouched, so decoding stays bit-exact for lossless PCM (a fade-in would change good samples).
 * This is deliberately simpler than G.711 Appendix I's pitch-based PLC (a stated gap).
 */
export const FADE_MS = 10;

export class FadeConcealer {
  private last: Float32Array;
  /** What `conceal` returns: this concealer's own array, rewritten by each call. */
  private readonly out: Float32Array;
  /** Sample frames concealed since the last good packet. */
  private concealed = 0;
  private readonly fadeSamples: number;

  constructor(private readonly samplesPerFrame: number, private readonly channels: number, sampleRate: number) {
    this.last = new Float32Array(samplesPerFrame * channels);
    this.out = new Float32Array(samplesPerFrame * channels);
    this.fadeSamples = Math.max(1, Math.round((sampleRate * FADE_MS) / 1000));
  }

  /** Remember the tail of what was just decoded (the last samplesPerFrame of it). */
  good(decoded: Float32Array): void {
    const n = this.last.length;
    if (decoded.length >= n) this.last.set(decoded.subarray(decoded.length - n));
    else {
      // Shorter payload than a frame: shift the history left and append.
      this.last.copyWithin(0, decoded.length);
      this.last.set(decoded, n - decoded.length);
    }
    this.concealed = 0;
  }

  /** Exactly one frame: the last frame again, faded towards silence (valid until the next call). */
  conceal(): Float32Array {
    const out = this.out;
    out.fill(0);
    for (let i = 0; i < this.samplesPerFrame; i++) {
      // Linear gain from 1 down to exactly 0 after fadeSamples (per time instant, all channels alike).
      const left = this.fadeSamples - this.concealed;
      if (left <= 0) break;
      const g = left / this.fadeSamples;
      for (let c = 0; c < this.channels; c++) {
        const k = i * this.channels + c;
        out[k] = (this.last[k] ?? 0) * g;
      }
      this.concealed++;
    }
    return out;
  }
}
