/**
 * ITU-T G.722 (09/2012) 64 kbit/s (mode 1) encoder and decoder, written from the Recommendation's
 * block descriptions:
 *   - transmit QMF (§3.1): 24-tap analysis into a lower and an upper sub-band at 8 kHz each;
 *   - lower sub-band ADPCM (§3.3-3.6): 6-bit adaptive quantizer (60 levels) whose 4 most significant
 *     bits drive the step-size adaptation (block 3L) and the pole/zero predictor (block 4);
 *   - upper sub-band ADPCM (§3.3-3.6): 2-bit quantizer, block 3H and block 4;
 *   - receive side (§4): 6-bit inverse quantizer for the output, the same adaptation as the encoder,
 *     then the synthesis QMF.
 * One code byte per pair of 16 kHz input samples: upper-band bits in the two MSBs (IH), lower-band
 * bits in the six LSBs (IL).
 *
 * Sample scaling: 16-bit PCM in and out. The analysis QMF output is scaled to the 15-bit range the
 * sub-band coders expect (sum >> 14, coefficients being ×2^13), the synthesis QMF back to 16 bits
 * (×2 gain of §4.4 and ×2 for 15 -> 16 bits, i.e. sum >> 11). This matches the scaling of other
 * 16-bit G.722 implementations (e.g. ffmpeg's adpcm_g722), which the tests check bit for bit.
 */
import { G722Band, sat16 } from './g722-band.js';
import {
  HIGH_DECISION,
  HIGH_INV_Q2,
  HIGH_LOG_STEP,
  HIGH_NB_MAX,
  LOW_DECISION,
  LOW_INTERVALS,
  LOW_INV_Q4,
  LOW_INV_Q6,
  LOW_LOG_STEP,
  LOW_NB_MAX,
  QMF_H,
  highCodeFor,
  lowCodeFor,
} from './g722-tables.js';

function newLowBand(): G722Band {
  return new G722Band(8, LOW_NB_MAX, LOW_LOG_STEP);
}
function newHighBand(): G722Band {
  return new G722Band(10, HIGH_NB_MAX, HIGH_LOG_STEP);
}

/** The decoder's reconstructed sub-band signal saturates to the 15-bit range (block LIMIT). */
function limit15(x: number): number {
  return x > 16383 ? 16383 : x < -16384 ? -16384 : x;
}

/** Ones' complement magnitude used by the quantizers (el < 0 -> -(el + 1)). */
function magnitude(e: number): number {
  return e >= 0 ? e : -(e + 1);
}

export class G722Encoder {
  private readonly low = newLowBand();
  private readonly high = newHighBand();
  /** Last 24 input samples, newest at index 0. */
  private readonly x = new Int32Array(24);

  /**
   * Encodes 16-bit samples (an even count) into one byte per pair. Input pairs are (older, newer).
   */
  encode(pcm: Int16Array | ArrayLike<number>, out: Uint8Array = new Uint8Array(pcm.length >> 1)): Uint8Array {
    const x = this.x;
    for (let n = 0, j = 0; j + 1 < pcm.length; j += 2, n++) {
      // Shift two samples in (newest at 0).
      x.copyWithin(2, 0, 22);
      x[1] = pcm[j] as number;
      x[0] = pcm[j + 1] as number;
      // §3.1: xA = Σ h(2i)·x(j-2i), xB = Σ h(2i+1)·x(j-2i-1); xL = xA + xB, xH = xA - xB.
      let xa = 0;
      let xb = 0;
      for (let i = 0; i < 12; i++) {
        xa += (QMF_H[2 * i] as number) * (x[2 * i] as number);
        xb += (QMF_H[2 * i + 1] as number) * (x[2 * i + 1] as number);
      }
      const xl = (xa + xb) >> 14;
      const xh = (xa - xb) >> 14;
      out[n] = (this.encodeHigh(xh) << 6) | this.encodeLow(xl);
    }
    return out;
  }

  private encodeLow(xl: number): number {
    const band = this.low;
    const el = sat16(xl - band.s);
    const wd = magnitude(el);
    const det = band.det;
    let mil = 1;
    while (mil < LOW_INTERVALS && wd >= (((LOW_DECISION[mil] as number) * det) >> 12)) mil++;
    const code = lowCodeFor(mil, el < 0);
    const q4 = code >> 2;
    const dq = ((det * (LOW_INV_Q4[q4] as number)) >> 15);
    band.update(q4, dq);
    return code;
  }

  private encodeHigh(xh: number): number {
    const band = this.high;
    const eh = sat16(xh - band.s);
    const det = band.det;
    const large = magnitude(eh) >= ((HIGH_DECISION * det) >> 12);
    const code = highCodeFor(large, eh < 0);
    const dq = (det * (HIGH_INV_Q2[code] as number)) >> 15;
    band.update(code, dq);
    return code;
  }
}

export class G722Decoder {
  private readonly low = newLowBand();
  private readonly high = newHighBand();
  /** Histories of rL - rH and rL + rH, newest at index 0. */
  private readonly xd = new Int32Array(12);
  private readonly xs = new Int32Array(12);

  /** Decodes code bytes into 16-bit samples, two per byte. */
  decode(codes: Uint8Array, out: Int16Array = new Int16Array(codes.length * 2)): Int16Array {
    for (let n = 0; n < codes.length; n++) {
      const c = codes[n] as number;
      const rl = this.decodeLow(c & 0x3f);
      const rh = this.decodeHigh(c >> 6);
      // §4.4 receive QMF: xd = rL - rH feeds the even coefficients (first output sample),
      // xs = rL + rH the odd ones (second output sample).
      this.xd.copyWithin(1, 0, 11);
      this.xs.copyWithin(1, 0, 11);
      this.xd[0] = rl - rh;
      this.xs[0] = rl + rh;
      let y0 = 0;
      let y1 = 0;
      for (let i = 0; i < 12; i++) {
        y0 += (QMF_H[2 * i] as number) * (this.xd[i] as number);
        y1 += (QMF_H[2 * i + 1] as number) * (this.xs[i] as number);
      }
      out[2 * n] = sat16(y0 >> 11);
      out[2 * n + 1] = sat16(y1 >> 11);
    }
    return out;
  }

  private decodeLow(code: number): number {
    const band = this.low;
    const det = band.det;
    const q4 = code >> 2;
    const dq4 = (det * (LOW_INV_Q4[q4] as number)) >> 15;
    const dq6 = (det * (LOW_INV_Q6[code] as number)) >> 15;
    const rl = limit15(band.s + dq6);
    band.update(q4, dq4);
    return rl;
  }

  private decodeHigh(code: number): number {
    const band = this.high;
    const det = band.det;
    const dq = (det * (HIGH_INV_Q2[code] as number)) >> 15;
    const rh = limit15(band.s + dq);
    band.update(code, dq);
    return rh;
  }
}
