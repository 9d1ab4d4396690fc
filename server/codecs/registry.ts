/**
 * The codec registry: every layer finds codecs here, by our id or by what SDP says (encoding name,
 * clock rate, channels). Adding a codec means adding its record to CODECS.
 */
import { AcipError } from '../util/errors.js';
import { CODEC_UNKNOWN, type CodecId, type CodecRecord } from './codec.js';
import { g722Codec } from './g722.js';
import { pcmaCodec, pcmuCodec } from './g711.js';
import { opusCodec } from './opus.js';
import { l16Codec, l24Codec } from './pcm.js';

/** In order of preference for a broadcast contribution link. */
const CODECS: readonly CodecRecord[] = [opusCodec, l24Codec, l16Codec, g722Codec, pcmaCodec, pcmuCodec];

export interface CodecRegistry {
  /** By our id ('opus', 'L24', ...); undefined when unknown. */
  find(id: string): CodecRecord | undefined;
  /** By our id; throws AcipError(CODEC_UNKNOWN, 'codec') when unknown. */
  get(id: string): CodecRecord;
  /**
   * By a=rtpmap fields: encoding name (case-insensitive, RFC 4855 §3), clock rate and channel count
   * (absent = 1, RFC 4566 §6). Returns undefined when no record accepts that combination.
   */
  byEncodingName(name: string, clockRate: number, channels?: number): CodecRecord | undefined;
  /** By RFC 3551 static payload type (0 PCMU, 8 PCMA, 9 G722). */
  byStaticPayloadType(pt: number): CodecRecord | undefined;
  all(): readonly CodecRecord[];
}

export function createCodecRegistry(records: readonly CodecRecord[]): CodecRegistry {
  const byId = new Map<string, CodecRecord>(records.map((r) => [r.id, r]));
  return {
    find: (id) => byId.get(id),
    get(id) {
      const r = byId.get(id);
      if (!r) throw new AcipError(CODEC_UNKNOWN, `unknown codec '${id}'`, 'codec');
      return r;
    },
    byEncodingName(name, clockRate, channels = 1) {
      const lower = name.toLowerCase();
      return records.find((r) => r.encodingName.toLowerCase() === lower && r.matchesRtpmap(clockRate, channels));
    },
    byStaticPayloadType: (pt) => records.find((r) => r.staticPayloadType === pt),
    all: () => records,
  };
}

export const codecRegistry: CodecRegistry = createCodecRegistry(CODECS);
export type { CodecId };
