/**
 * RTP payload for redundant audio data, RED (RFC 2198). Pure: no I/O, no timers, every length
 * checked before it is read; malformed input throws `RecoveryError` with a stable code.
 *
 * RFC 2198 §3, the header of each block but the last (F=1):
 *
 *     0                   1                    2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |F|   block PT  |  timestamp offset         |   block length    |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * and of the last block, the primary encoding (F=0), whose length is what remains of the payload
 * and whose timestamp is the RTP header's:
 *
 *     0 1 2 3 4 5 6 7
 *    +-+-+-+-+-+-+-+-+
 *    |0|   Block PT  |
 *    +-+-+-+-+-+-+-+-+
 *
 * The headers come first, then the blocks' data in the same order. The timestamp offset is 14 bits
 * (the redundant block's timestamp is the header timestamp minus it), the length 10 bits.
 *
 * Three pieces: `encodeRed`/`parseRed` for one payload; `RedEncoder`, which remembers the last
 * frames and puts copies of earlier ones beside each new one; `RedRecovery`, which turns the copies
 * in received RED packets back into the frames whose own packets were lost.
 */
import { checkIntOption, RecoveryError } from './recovery/recovery-error.js';
import { SeqStateWindow } from './recovery/seq-window.js';
import { seqAdd, seq16, tsAdd, tsDiff } from './seq.js';

/** 14-bit timestamp offset (RFC 2198 §3). */
export const RED_MAX_TIMESTAMP_OFFSET = 0x3fff;
/** 10-bit block length (RFC 2198 §3). */
export const RED_MAX_BLOCK_LENGTH = 0x3ff;
const RED_HEADER_LEN = 4;
const RED_PRIMARY_HEADER_LEN = 1;

/** One redundant block: an earlier frame, `timestampOffset` RTP clock units before the primary. */
export interface RedBlock {
  payloadType: number;
  timestampOffset: number;
  /** A view into the parsed buffer (no copy). */
  payload: Buffer;
}

export interface RedPayload {
  /** In wire order: the oldest (largest offset) first, as senders conventionally order them. */
  redundant: RedBlock[];
  primary: { payloadType: number; payload: Buffer };
}

/** One codec frame as the RTP layer sees it: the packet's number, timestamp and payload. */
export interface RedFrame {
  sequenceNumber: number;
  timestamp: number;
  payloadType: number;
  payload: Buffer;
}

/** True when a block with this offset and length can be described by a RED header. */
export function redBlockFits(timestampOffset: number, length: number): boolean {
  return (
    Number.isInteger(timestampOffset) &&
    timestampOffset >= 0 &&
    timestampOffset <= RED_MAX_TIMESTAMP_OFFSET &&
    length <= RED_MAX_BLOCK_LENGTH
  );
}

function checkPayloadType(pt: number, field: string): void {
  if (!Number.isInteger(pt) || pt < 0 || pt > 0x7f) {
    throw new RecoveryError('RED_SERIALIZE', `${field} ${pt} is not a 7-bit payload type`, { field });
  }
}

/**
 * Build a RED payload: the redundant blocks (in the order given, oldest first by convention), then
 * the primary. A redundant block whose offset or length does not fit the 14/10-bit fields is left
 * out rather than written truncated; `dropped` counts them.
 */
export function encodeRed(primary: RedPayload['primary'], redundant: readonly RedBlock[]): { payload: Buffer; dropped: number } {
  checkPayloadType(primary.payloadType, 'primary.payloadType');
  let allFit = true;
  for (let i = 0; i < redundant.length && allFit; i++) allFit = redBlockFits((redundant[i] as RedBlock).timestampOffset, (redundant[i] as RedBlock).payload.length);
  // Every block fits in the usual case: no filtered copy of the list per packet.
  const kept = allFit ? redundant : redundant.filter((b) => redBlockFits(b.timestampOffset, b.payload.length));
  for (let i = 0; i < kept.length; i++) checkPayloadType((kept[i] as RedBlock).payloadType, `redundant[${i}].payloadType`);
  let total = RED_PRIMARY_HEADER_LEN + primary.payload.length;
  for (const b of kept) total += RED_HEADER_LEN + b.payload.length;
  // Unzeroed: every octet is written below.
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (const b of kept) {
    // §3: F=1, 7-bit PT, then 14-bit offset and 10-bit length packed into 24 bits.
    out.writeUInt8(0x80 | b.payloadType, off);
    const packed = (b.timestampOffset << 10) | b.payload.length;
    out.writeUInt8((packed >>> 16) & 0xff, off + 1);
    out.writeUInt16BE(packed & 0xffff, off + 2);
    off += RED_HEADER_LEN;
  }
  out.writeUInt8(primary.payloadType, off);
  off += RED_PRIMARY_HEADER_LEN;
  for (const b of kept) off += b.payload.copy(out, off);
  primary.payload.copy(out, off);
  return { payload: out, dropped: redundant.length - kept.length };
}

/** Parse a RED payload (the RTP payload of a packet with the RED payload type). */
export function parseRed(payload: Buffer): RedPayload {
  // First pass: the block headers, up to the primary's (no list of them made per packet).
  let off = 0;
  let primaryPt: number | undefined;
  while (primaryPt === undefined) {
    if (off >= payload.length) {
      throw new RecoveryError('RED_SHORT', `RED payload of ${payload.length} octets ends inside the block headers`, { offset: off });
    }
    const b0 = payload.readUInt8(off);
    if ((b0 & 0x80) === 0) {
      // §3: F=0 marks the last header, the primary's, one octet long.
      primaryPt = b0 & 0x7f;
      off += RED_PRIMARY_HEADER_LEN;
      break;
    }
    if (off + RED_HEADER_LEN > payload.length) {
      throw new RecoveryError('RED_SHORT', `RED block header at ${off} needs 4 octets, ${payload.length - off} left`, { offset: off });
    }
    off += RED_HEADER_LEN;
  }
  // Second pass: the blocks, which follow the headers in the same order.
  const headersEnd = off - RED_PRIMARY_HEADER_LEN;
  const redundant: RedBlock[] = [];
  for (let h = 0; h < headersEnd; h += RED_HEADER_LEN) {
    const packed = (payload.readUInt8(h + 1) << 16) | payload.readUInt16BE(h + 2);
    const length = packed & RED_MAX_BLOCK_LENGTH;
    if (off + length > payload.length) {
      throw new RecoveryError(
        'RED_BLOCK_OVERRUN',
        `RED block of ${length} octets at ${off} runs past the end of the ${payload.length}-octet payload`,
        { offset: off },
      );
    }
    redundant.push({ payloadType: payload.readUInt8(h) & 0x7f, timestampOffset: packed >>> 10, payload: payload.subarray(off, off + length) });
    off += length;
  }
  return { redundant, primary: { payloadType: primaryPt, payload: payload.subarray(off) } };
}

export interface RedEncoderOptions {
  /** Redundant copies per packet: 1 or 2. */
  depth: number;
  /**
   * How many packets back each copy reaches: copy k (1..depth) is the frame `distance·k` packets
   * before the primary. Distance 1 is classic RED; 2 or 3 spreads the copies past a loss burst of
   * that length at the cost of that many frames of extra delay before a copy can be used.
   */
  distance: number;
}

export const RED_MAX_DEPTH = 2;
export const RED_MAX_DISTANCE = 3;

/**
 * Keeps the last `depth·distance` frames and wraps each new frame with copies of earlier ones.
 * The copies always form the unbroken run k = 1..m (m ≤ depth) counted back from the primary: when
 * copy k is missing (start of stream, a gap in what the caller sent) or does not fit the header
 * fields, it and every older copy are left out, so a receiver can derive each block's sequence
 * number from its position (primary − distance·k).
 */
export class RedEncoder {
  readonly depth: number;
  readonly distance: number;
  private readonly history: RedFrame[] = [];
  private droppedCount = 0;

  constructor(options: RedEncoderOptions) {
    checkIntOption(options.depth, 1, RED_MAX_DEPTH, 'depth');
    checkIntOption(options.distance, 1, RED_MAX_DISTANCE, 'distance');
    this.depth = options.depth;
    this.distance = options.distance;
  }

  /** Copies left out because their offset or length did not fit (not those missing at stream start). */
  get dropped(): number {
    return this.droppedCount;
  }

  /** The RED payload carrying `frame` as primary, and the sequence numbers its copies belong to. */
  encode(frame: RedFrame): { payload: Buffer; redundantSeqs: number[] } {
    const blocks: RedBlock[] = [];
    const seqs: number[] = [];
    for (let k = 1; k <= this.depth; k++) {
      const want = seqAdd(frame.sequenceNumber, -this.distance * k);
      let old: RedFrame | undefined;
      for (const f of this.history) {
        if (f.sequenceNumber !== want) continue;
        old = f;
        break;
      }
      if (!old) break;
      const offset = tsDiff(frame.timestamp, old.timestamp);
      if (offset <= 0 || !redBlockFits(offset, old.payload.length)) {
        this.droppedCount++;
        break;
      }
      blocks.unshift({ payloadType: old.payloadType, timestampOffset: offset, payload: old.payload });
      seqs.unshift(want);
    }
    const { payload } = encodeRed({ payloadType: frame.payloadType, payload: frame.payload }, blocks);
    // The frame is kept for the next packets' copies as the primary block of this payload (it comes
    // last, §3): a buffer of our own, so the caller may reuse `frame.payload`.
    const kept = payload.subarray(payload.length - frame.payload.length);
    this.history.push({ sequenceNumber: seq16(frame.sequenceNumber), timestamp: frame.timestamp, payloadType: frame.payloadType, payload: kept });
    if (this.history.length > this.depth * this.distance) this.history.shift();
    return { payload, redundantSeqs: seqs };
  }

  reset(): void {
    this.history.length = 0;
  }
}

export interface RedRecoveryOptions {
  /** The sender's distance (see RedEncoderOptions). */
  distance: number;
  /** Sequence numbers remembered behind the highest seen (default 1024). */
  window?: number;
}

export interface RedRecoveryStats {
  /** Packets whose own primary arrived (RED or not). */
  received: number;
  /** Frames yielded from redundant copies. */
  recovered: number;
  /** Originals that arrived after their frame had been recovered. */
  lateAfterRecovery: number;
  /** Packets whose sequence number had already arrived. */
  duplicates: number;
  /** Packets too far behind the highest sequence number to be remembered. */
  stale: number;
}

const RECEIVED = 1;
const RECOVERED = 2;
const RECOVERED_THEN_RECEIVED = 3;

/**
 * Turns redundant copies back into frames. Feed every packet of the stream in arrival order:
 * `push` for RED packets, `received` for packets that carry a frame some other way (a plain packet,
 * an RTX retransmission). A frame is yielded once, only for a sequence number that has not
 * arrived, and only inside the remembered window.
 *
 * Copy k (1 = nearest the primary) belongs to sequence number primary − distance·k and timestamp
 * primary − offset; see RedEncoder for why position determines k.
 */
export class RedRecovery {
  readonly distance: number;
  private readonly seen: SeqStateWindow;
  private readonly counts: RedRecoveryStats = { received: 0, recovered: 0, lateAfterRecovery: 0, duplicates: 0, stale: 0 };

  constructor(options: RedRecoveryOptions) {
    checkIntOption(options.distance, 1, RED_MAX_DISTANCE, 'distance');
    this.distance = options.distance;
    this.seen = new SeqStateWindow(options.window ?? 1024);
  }

  get stats(): Readonly<RedRecoveryStats> {
    return this.counts;
  }

  /** A frame for `seq` arrived by other means. Returns true when it is new (not arrived, not recovered). */
  received(seq: number): boolean {
    if (!this.seen.observe(seq)) {
      this.counts.stale++;
      return false;
    }
    const state = this.seen.get(seq);
    if (state === RECEIVED || state === RECOVERED_THEN_RECEIVED) {
      this.counts.duplicates++;
      return false;
    }
    this.counts.received++;
    if (state === RECOVERED) {
      this.counts.lateAfterRecovery++;
      this.seen.set(seq, RECOVERED_THEN_RECEIVED);
      return false;
    }
    this.seen.set(seq, RECEIVED);
    return true;
  }

  /**
   * A RED packet arrived. Returns whether its primary is new, and the frames recovered from its
   * copies, oldest first.
   */
  push(packet: { sequenceNumber: number; timestamp: number; red: RedPayload }): { primaryIsNew: boolean; recovered: RedFrame[] } {
    const primaryIsNew = this.received(packet.sequenceNumber);
    const recovered: RedFrame[] = [];
    if (this.seen.place(packet.sequenceNumber) === 'stale') return { primaryIsNew, recovered };
    const blocks = packet.red.redundant;
    const m = blocks.length;
    for (let i = 0; i < m; i++) {
      const block = blocks[i] as RedBlock;
      const k = m - i;
      const seq = seqAdd(packet.sequenceNumber, -this.distance * k);
      if (this.seen.place(seq) !== 'inside' || this.seen.get(seq) !== 0) continue;
      this.seen.set(seq, RECOVERED);
      this.counts.recovered++;
      recovered.push({
        sequenceNumber: seq,
        timestamp: tsAdd(packet.timestamp, -block.timestampOffset),
        payloadType: block.payloadType,
        payload: block.payload,
      });
    }
    return { primaryIsNew, recovered };
  }
}
