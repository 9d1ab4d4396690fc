/**
 * Opus packet framing (RFC 6716 §3): the TOC byte, the four frame-count codes and the frame length
 * coding. Pure functions, every length checked; malformed input throws AcipError(CODEC_BAD_PAYLOAD).
 *
 *   TOC (§3.1):   0 1 2 3 4 5 6 7
 *                +-+-+-+-+-+-+-+-+
 *                | config  |s| c |
 *                +-+-+-+-+-+-+-+-+
 *   config: mode, bandwidth, frame duration (Table 2); s: stereo; c: 0 = one frame,
 *   1 = two equal frames, 2 = two frames with the first length coded, 3 = M frames (§3.2.5):
 *                +-+-+-+-+-+-+-+-+
 *                |v|p|     M     |   v: VBR, p: padding, M: 1..48 frames
 *                +-+-+-+-+-+-+-+-+
 */
import { AcipError } from '../../util/errors.js';
import { CODEC_BAD_PAYLOAD } from '../codec.js';

export type OpusMode = 'silk' | 'hybrid' | 'celt';
export type OpusBandwidth = 'nb' | 'mb' | 'wb' | 'swb' | 'fb';

export interface OpusToc {
  config: number;
  mode: OpusMode;
  bandwidth: OpusBandwidth;
  /** Frame duration in units of 1/48000 s (120 = 2.5 ms ... 2880 = 60 ms). */
  frameSamples48k: number;
  stereo: boolean;
  code: number;
}

/** §3.1 Table 2, computed per TOC byte. */
function tocOf(toc: number): OpusToc {
  const config = toc >> 3;
  const stereo = (toc & 0x04) !== 0;
  const code = toc & 0x03;
  let mode: OpusMode;
  let bandwidth: OpusBandwidth;
  let frameSamples48k: number;
  if (config < 12) {
    mode = 'silk';
    bandwidth = (['nb', 'mb', 'wb'] as const)[config >> 2] as OpusBandwidth;
    frameSamples48k = [480, 960, 1920, 2880][config & 3] as number;
  } else if (config < 16) {
    mode = 'hybrid';
    bandwidth = config < 14 ? 'swb' : 'fb';
    frameSamples48k = (config & 1) === 0 ? 480 : 960;
  } else {
    mode = 'celt';
    bandwidth = (['nb', 'wb', 'swb', 'fb'] as const)[(config - 16) >> 2] as OpusBandwidth;
    frameSamples48k = [120, 240, 480, 960][config & 3] as number;
  }
  return Object.freeze({ config, mode, bandwidth, frameSamples48k, stereo, code });
}

/** Every TOC byte's reading, made once: a decoder reads one per packet and must not allocate for it. */
const TOCS: readonly OpusToc[] = Array.from({ length: 256 }, (_, i) => tocOf(i));

/** §3.1 Table 2. The result is shared and frozen. */
export function parseToc(toc: number): OpusToc {
  return TOCS[toc & 0xff] as OpusToc;
}

export interface OpusPacket {
  toc: OpusToc;
  /** The TOC byte as sent (code bits included). */
  tocByte: number;
  /** The compressed frames, in order (a frame may be empty: §3.2.1, DTX or lost). */
  frames: Buffer[];
}

function bad(msg: string): AcipError {
  return new AcipError(CODEC_BAD_PAYLOAD, `opus: ${msg}`);
}

/** §3.2.1: the frame length coded at `off` (one or two bytes: `lengthBytesAt` tells which). */
function lengthAt(buf: Buffer, off: number): number {
  if (off >= buf.length) throw bad('frame length past the end');
  const b0 = buf[off] as number;
  if (b0 < 252) return b0;
  if (off + 1 >= buf.length) throw bad('two-byte frame length past the end');
  return 4 * (buf[off + 1] as number) + b0;
}

function lengthBytesAt(buf: Buffer, off: number): number {
  return (buf[off] as number) < 252 ? 1 : 2;
}

/** R2: no frame longer than 1275 bytes. */
function checkMax(n: number): void {
  if (n > 1275) throw bad(`frame of ${n} bytes exceeds 1275 (R2)`);
}

/**
 * Walks a whole packet per §3.2, checking requirements R1-R7 of §3.4, and appends its frames (views of
 * `buf`) to `frames` when given. Without `frames` it allocates nothing: what a decoder checks per packet.
 */
function walkOpusPacket(buf: Buffer, frames: Buffer[] | null): OpusToc {
  if (buf.length < 1) throw bad('empty packet (R1)');
  const toc = parseToc(buf[0] as number);
  switch (toc.code) {
    case 0: {
      checkMax(buf.length - 1);
      frames?.push(buf.subarray(1));
      break;
    }
    case 1: {
      const rest = buf.length - 1;
      if (rest % 2 !== 0) throw bad('code 1 with an odd payload length (R3)');
      checkMax(rest / 2);
      frames?.push(buf.subarray(1, 1 + rest / 2), buf.subarray(1 + rest / 2));
      break;
    }
    case 2: {
      const n1 = lengthAt(buf, 1);
      const off = 1 + lengthBytesAt(buf, 1);
      if (off + n1 > buf.length) throw bad('code 2 first frame past the end (R4)');
      checkMax(n1);
      checkMax(buf.length - off - n1);
      frames?.push(buf.subarray(off, off + n1), buf.subarray(off + n1));
      break;
    }
    default: {
      if (buf.length < 2) throw bad('code 3 without a frame count byte (R6)');
      const fc = buf[1] as number;
      let off = 2;
      const vbr = (fc & 0x80) !== 0;
      const padded = (fc & 0x40) !== 0;
      const m = fc & 0x3f;
      if (m === 0) throw bad('code 3 with zero frames (R5)');
      if (m * toc.frameSamples48k > 5760) throw bad('code 3 packet longer than 120 ms (R5)');
      let padding = 0;
      if (padded) {
        for (;;) {
          if (off >= buf.length) throw bad('padding length past the end (R6/R7)');
          const p = buf[off++] as number;
          padding += p === 255 ? 254 : p;
          if (p !== 255) break;
        }
      }
      const end = buf.length - padding;
      if (end < off) throw bad('padding larger than the packet (R6/R7)');
      if (vbr) {
        // M-1 coded lengths, then the frames back to back; the last one takes what is left.
        const lensAt = off;
        let total = 0;
        for (let i = 0; i < m - 1; i++) {
          const n = lengthAt(buf, off);
          off += lengthBytesAt(buf, off);
          checkMax(n);
          total += n;
        }
        if (off > end) throw bad('frame lengths past the end (R6)');
        if (off + total > end) throw bad('VBR frame past the end (R6)');
        checkMax(end - off - total);
        if (frames) {
          let pos = off;
          for (let i = 0, at = lensAt; i < m - 1; i++) {
            const n = lengthAt(buf, at);
            at += lengthBytesAt(buf, at);
            frames.push(buf.subarray(pos, pos + n));
            pos += n;
          }
          frames.push(buf.subarray(pos, end));
        }
      } else {
        const rest = end - off;
        if (rest % m !== 0) throw bad('CBR payload not a multiple of the frame count (R7)');
        const n = rest / m;
        checkMax(n);
        if (frames) for (let i = 0; i < m; i++) frames.push(buf.subarray(off + i * n, off + (i + 1) * n));
      }
    }
  }
  return toc;
}

/** Parses a whole packet per §3.2 and checks requirements R1-R7 of §3.4. */
export function parseOpusPacket(buf: Buffer): OpusPacket {
  const frames: Buffer[] = [];
  const toc = walkOpusPacket(buf, frames);
  return { toc, tocByte: buf[0] as number, frames };
}

/** Checks a packet as `parseOpusPacket` does (RFC 6716 §3.4 R1-R7), allocating nothing; returns its TOC. */
export function checkOpusPacket(buf: Buffer): OpusToc {
  return walkOpusPacket(buf, null);
}

function lengthBytes(n: number): number[] {
  if (n < 252) return [n];
  const first = 252 + (n & 3);
  return [first, (n - first) >> 2];
}

/**
 * Builds a packet from frames that share one TOC configuration (§3.2): code 0 for one frame, 1 for
 * two equal frames, 2 for two unequal ones, 3 (CBR when all equal, VBR otherwise) for more.
 */
export function buildOpusPacket(tocByte: number, frames: readonly Buffer[]): Buffer {
  const base = tocByte & 0xfc;
  if (frames.length === 0 || frames.length > 48) throw bad(`cannot pack ${frames.length} frames`);
  for (const f of frames) if (f.length > 1275) throw bad(`frame of ${f.length} bytes exceeds 1275`);
  const f0 = frames[0] as Buffer;
  if (frames.length === 1) return Buffer.concat([Buffer.from([base]), f0]);
  const allEqual = frames.every((f) => f.length === f0.length);
  if (frames.length === 2) {
    if (allEqual) return Buffer.concat([Buffer.from([base | 1]), f0, frames[1] as Buffer]);
    return Buffer.concat([Buffer.from([base | 2, ...lengthBytes(f0.length)]), f0, frames[1] as Buffer]);
  }
  if (allEqual) return Buffer.concat([Buffer.from([base | 3, frames.length]), ...frames]);
  const lens: number[] = [];
  for (let i = 0; i < frames.length - 1; i++) lens.push(...lengthBytes((frames[i] as Buffer).length));
  return Buffer.concat([Buffer.from([base | 3, 0x80 | frames.length, ...lens]), ...frames]);
}

/**
 * A packet of `count` zero-length frames with the given TOC configuration: RFC 6716 §3.2.1 lets a
 * 0-byte frame stand for a lost one, so the decoder runs its concealment for exactly
 * count × the TOC's frame duration.
 */
export function lossPacket(tocByte: number, count: number): Buffer {
  if (count === 1) return Buffer.from([tocByte & 0xfc]);
  return Buffer.from([(tocByte & 0xfc) | 3, count]);
}
