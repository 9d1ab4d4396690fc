/**
 * Source description, PT=202 (RFC 3550 §6.5): header (SC = source count), then chunks:
 *
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *    |                          SSRC/CSRC_1                          | chunk
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+   1
 *    |                           SDES items                          |
 *    |                              ...                              |
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *
 *  each item is type(8) length(8) text(length octets, UTF-8); a chunk's item list ends with one
 *  or more null octets (type 0) that also pad the chunk to a 32-bit boundary.
 */
import { checkUint, RTCP_SDES, RtcpParseError, RtcpSerializeError, type RtcpBodyCodec, type RtcpCommon } from './rtcp-common.js';

/** SDES item types, RFC 3550 §6.5. */
export const SDES_END = 0;
export const SDES_CNAME = 1;
export const SDES_NAME = 2;
export const SDES_EMAIL = 3;
export const SDES_PHONE = 4;
export const SDES_LOC = 5;
export const SDES_TOOL = 6;
export const SDES_NOTE = 7;
export const SDES_PRIV = 8;

export interface SdesItem {
  /** SDES_CNAME, SDES_NAME, …; any 1..255 value is kept. */
  type: number;
  /** The item's octets (UTF-8 text for the standard items; prefix-length + prefix + value for PRIV). */
  data: Buffer;
}

export interface SdesChunk {
  ssrc: number;
  items: SdesItem[];
}

export interface RtcpSdes extends RtcpCommon {
  type: 'sdes';
  chunks: SdesChunk[];
}

function parseChunks(body: Buffer, sc: number, at: number): SdesChunk[] {
  const chunks: SdesChunk[] = [];
  let off = 0;
  for (let c = 0; c < sc; c++) {
    const chunkStart = off;
    if (off + 4 > body.length) {
      throw new RtcpParseError('RTCP_COUNT_OVERRUN', `SDES chunk ${c} of ${sc} starts past the end`, at + 4 + off);
    }
    const ssrc = body.readUInt32BE(off);
    off += 4;
    const items: SdesItem[] = [];
    for (;;) {
      if (off >= body.length) {
        // §6.5: "The list of items in each chunk MUST be terminated by one or more null octets".
        throw new RtcpParseError('RTCP_SDES', `SDES chunk ${c} has no terminating null octet`, at + 4 + off);
      }
      const type = body.readUInt8(off);
      if (type === SDES_END) {
        off += 1;
        // Pad to the next 32-bit boundary from the chunk start (§6.5). Chunks start aligned.
        const aligned = chunkStart + Math.ceil((off - chunkStart) / 4) * 4;
        if (aligned > body.length) {
          throw new RtcpParseError('RTCP_SDES', `SDES chunk ${c} padding runs past the end`, at + 4 + off);
        }
        off = aligned;
        break;
      }
      if (off + 2 > body.length) {
        throw new RtcpParseError('RTCP_SDES', `SDES item header at ${off} runs past the end`, at + 4 + off);
      }
      const len = body.readUInt8(off + 1);
      if (off + 2 + len > body.length) {
        throw new RtcpParseError('RTCP_SDES', `SDES item of ${len} octets runs past the end`, at + 4 + off + 1);
      }
      items.push({ type, data: body.subarray(off + 2, off + 2 + len) });
      off += 2 + len;
    }
    chunks.push({ ssrc, items });
  }
  return chunks;
}

export const sdesCodec: RtcpBodyCodec<RtcpSdes> = {
  packetType: () => RTCP_SDES,
  count: (p) => p.chunks.length,
  bodyLength(p) {
    let n = 0;
    for (const c of p.chunks) {
      let itemLen = 4;
      for (const it of c.items) itemLen += 2 + it.data.length;
      // At least one null octet, then up to the next 32-bit boundary.
      n += Math.ceil((itemLen + 1) / 4) * 4;
    }
    return n;
  },
  parse: (body, count, padding, at) => ({ type: 'sdes', padding, chunks: parseChunks(body, count, at) }),
  write(p, out, off) {
    for (const c of p.chunks) {
      checkUint(c.ssrc, 32, 'chunk.ssrc');
      const start = off;
      out.writeUInt32BE(c.ssrc, off);
      off += 4;
      for (const it of c.items) {
        if (!Number.isInteger(it.type) || it.type < 1 || it.type > 255) {
          throw new RtcpSerializeError(`SDES item type ${it.type} must be 1..255`, 'item.type');
        }
        if (it.data.length > 255) throw new RtcpSerializeError('SDES item longer than 255 octets', 'item.data');
        out.writeUInt8(it.type, off);
        out.writeUInt8(it.data.length, off + 1);
        it.data.copy(out, off + 2);
        off += 2 + it.data.length;
      }
      // Null terminator(s) and alignment: the buffer is zero-filled already.
      off = start + Math.ceil((off - start + 1) / 4) * 4;
    }
  },
};

/** An SDES item from text (UTF-8, §6.5). */
export function sdesItem(type: number, text: string): SdesItem {
  return { type, data: Buffer.from(text, 'utf8') };
}

/** The CNAME text of `ssrc` in an SDES packet, if present. */
export function sdesCname(p: RtcpSdes, ssrc: number): string | undefined {
  for (const c of p.chunks) {
    if (c.ssrc !== ssrc) continue;
    for (const it of c.items) if (it.type === SDES_CNAME) return it.data.toString('utf8');
  }
  return undefined;
}
