/** Loads the published SRTP vectors kept in test/fixtures/srtp (see the README there). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'srtp');

export function loadSrtpFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(DIR, name), 'utf8')) as T;
}

export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

export interface Rfc3711Vectors {
  aesCm: {
    sessionKey: string;
    sessionSalt: string;
    ssrc: number;
    roc: number;
    seq: number;
    keystreamLength: number;
    blocks: { counter: string; keystream: string }[];
  };
  keyDerivation: { masterKey: string; masterSalt: string; cipherKey: string; cipherSalt: string; authKey94: string };
}

export interface LibsrtpVectors {
  masterKey: string;
  masterSalt: string;
  rtpPlaintext: string;
  srtpAesCm128HmacSha1_80: string;
  srtpAesCm128HmacSha1_32: string;
  rtcpPlaintext: string;
  srtcpAesCm128HmacSha1_80: string;
  srtcpIndex: number;
}

export interface Rfc7714Vectors {
  sessionKey: string;
  sessionSalt: string;
  rtp: { ssrc: number; roc: number; seq: number; iv: string; plaintext: string; protected: string };
  rtcp: { ssrc: number; index: number; iv: string; plaintext: string; protectedEncrypted: string; protectedTagOnly: string };
}

/** A plain RTP packet: V=2, the given sequence number and SSRC, `payload` octets of pattern. */
export function rtpPacket(seq: number, ssrc: number, payloadLength: number, fill = 0xab, timestamp = 0): Buffer {
  const p = Buffer.alloc(12 + payloadLength, fill);
  p[0] = 0x80;
  p[1] = 96;
  p.writeUInt16BE(seq & 0xffff, 2);
  p.writeUInt32BE(timestamp >>> 0, 4);
  p.writeUInt32BE(ssrc >>> 0, 8);
  return p;
}

/** A minimal RTCP receiver report (RFC 3550 §6.4.2, no report blocks) from `ssrc`. */
export function rtcpReceiverReport(ssrc: number): Buffer {
  const p = Buffer.alloc(8);
  p[0] = 0x80;
  p[1] = 201;
  p.writeUInt16BE(1, 2);
  p.writeUInt32BE(ssrc >>> 0, 4);
  return p;
}
