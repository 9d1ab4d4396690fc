/**
 * One G.722 sub-band's ADPCM state: the adaptive step size (blocks 3L/3H) and the adaptive predictor
 * (block 4: two poles, six zeros). Encoder and decoder run identical copies, driven by the same quantized
 * difference, so they stay in lock-step without side information.
 *
 * Fixed-point conventions follow the Recommendation: signals are 16-bit, predictor coefficients are
 * Q14 (1.0 = 16384) and products are rescaled with an arithmetic shift right by 15 after doubling
 * one operand, exactly as block 4 specifies, so that encoder and decoder (and other conforming
 * implementations) agree bit for bit.
 */
import { INV_LOG2 } from './g722-tables.js';

function sat16(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : x;
}

export class G722Band {
  /** Predicted signal s(n) for the next sample. */
  s = 0;
  /** Adaptive step size (det) and its log-domain value (nb). */
  det: number;
  private nb = 0;
  // Predictor state. Index 1 is the most recent past value.
  private sz = 0;
  private a1 = 0;
  private a2 = 0;
  private readonly b = new Int32Array(7);
  private readonly d = new Int32Array(7);
  private p1 = 0;
  private p2 = 0;
  private r1 = 0;
  private r2 = 0;

  constructor(
    /** 8 for the lower band (block 3L), 10 for the upper band (block 3H). */
    private readonly scaleShift: number,
    private readonly nbMax: number,
    private readonly logSteps: readonly number[],
  ) {
    this.det = this.stepFromLog(0);
  }

  /** One sample's adaptation, the same in encoder and decoder: step size from `code` (block 3), predictor from `dq` (block 4). */
  update(code: number, dq: number): void {
    this.adaptStep(code);
    this.predict(dq);
  }

  /** Block 3: log-domain step adaptation with leakage 127/128, then the inverse log2 (SCALEL/SCALEH). */
  private adaptStep(code: number): void {
    let nb = ((this.nb * 32512) >> 15) + (this.logSteps[code] as number);
    if (nb < 0) nb = 0;
    else if (nb > this.nbMax) nb = this.nbMax;
    this.nb = nb;
    this.det = this.stepFromLog(nb);
  }

  private stepFromLog(nb: number): number {
    const mant = INV_LOG2[(nb >> 6) & 31] as number;
    const shift = this.scaleShift - (nb >> 11);
    const v = shift < 0 ? mant << -shift : mant >> shift;
    return v << 2;
  }

  /** Block 4, given the quantized difference dq of this sample: updates the predictor and computes s. */
  private predict(dq: number): void {
    // RECONS and PARREC: reconstructed and partially reconstructed signals.
    const r0 = sat16(this.s + dq);
    const p0 = sat16(dq + this.sz);

    // UPPOL2: second pole, with f(a1) = 4·a1 saturated (i.e. 2·sgn(a1) once |a1| > 1/2).
    const neg0 = p0 < 0;
    const neg1 = this.p1 < 0;
    const neg2 = this.p2 < 0;
    const fa1 = sat16(this.a1 * 4);
    let t = neg0 === neg1 ? -fa1 : fa1;
    if (t > 32767) t = 32767;
    let a2 = (neg0 === neg2 ? 128 : -128) + (t >> 7) + ((this.a2 * 32512) >> 15);
    if (a2 > 12288) a2 = 12288;
    else if (a2 < -12288) a2 = -12288;

    // UPPOL1: first pole, leakage 255/256, bounded by 1 - 2^-4 - a2 for stability.
    let a1 = (neg0 === neg1 ? 192 : -192) + ((this.a1 * 32640) >> 15);
    const lim = 15360 - a2;
    if (a1 > lim) a1 = lim;
    else if (a1 < -lim) a1 = -lim;

    // UPZERO: sign-sign update of the six zeros, leakage 255/256.
    const step = dq === 0 ? 0 : 128;
    const negD = dq < 0;
    const b = this.b;
    const d = this.d;
    for (let i = 1; i <= 6; i++) {
      const g = (d[i] as number) < 0 === negD ? step : -step;
      b[i] = g + (((b[i] as number) * 32640) >> 15);
    }

    // DELAYA
    for (let i = 6; i > 1; i--) d[i] = d[i - 1] as number;
    d[1] = dq;
    this.p2 = this.p1;
    this.p1 = p0;
    this.r2 = this.r1;
    this.r1 = r0;
    this.a1 = a1;
    this.a2 = a2;

    // FILTEP and FILTEZ, then PREDIC.
    const sp = sat16(((a1 * sat16(this.r1 + this.r1)) >> 15) + ((a2 * sat16(this.r2 + this.r2)) >> 15));
    let sz = 0;
    for (let i = 1; i <= 6; i++) sz += ((b[i] as number) * sat16((d[i] as number) * 2)) >> 15;
    this.sz = sat16(sz);
    this.s = sat16(sp + this.sz);
  }
}

export { sat16 };
