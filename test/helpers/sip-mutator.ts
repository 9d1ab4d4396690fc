/**
 * Seeded mutation of SIP messages for fuzz tests (grammar level here; S2's socket-level fuzz can
 * reuse it). Deterministic for a given seed: a failure report's seed and case index reproduce it.
 */

/** Bytes that matter to the SIP grammar, favoured when inserting or overwriting. */
const INTERESTING = Buffer.from('\r\n:;,"<>\\ \t\x00%=@/?[]0123456789-+.\xff');

const CHUNKS = [
  '\r\n', '\r\n\r\n', ' ', '\r\n ', ';', ';;', ',', '"', '\\"', '<', '>', ':', '%00', '%',
  'Content-Length: 0\r\n', 'l: 99999\r\n', 'Content-Length: -1\r\n', 'Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\n',
  '__proto__: x\r\n', 'constructor: y\r\n', '99999999999999999999', '4294967296', '9007199254740993',
  'sip:', 'sips:', 'tel:+1', '[::1]', ';tag=', ';branch=', ';rport', ';received=', 'SIP/2.0', 'SIP/3.0',
].map((s) => Buffer.from(s, 'latin1'));

export type MutationKind =
  | 'flip' | 'set' | 'insert' | 'insertChunk' | 'delete' | 'duplicate'
  | 'deleteLine' | 'duplicateLine' | 'swapLines' | 'truncate';

const KINDS: MutationKind[] = [
  'flip', 'set', 'insert', 'insertChunk', 'delete', 'duplicate',
  'deleteLine', 'duplicateLine', 'swapLines', 'truncate',
];

function int(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

/** Start offsets of lines (after each LF, plus 0). */
function lineStarts(b: Buffer): number[] {
  const out = [0];
  for (let i = b.indexOf(0x0a); i >= 0 && i + 1 < b.length; i = b.indexOf(0x0a, i + 1)) out.push(i + 1);
  return out;
}

function lineRange(b: Buffer, starts: number[], k: number): [number, number] {
  return [starts[k]!, k + 1 < starts.length ? starts[k + 1]! : b.length];
}

/** Apply one mutation of the given kind. */
export function mutateOnce(input: Buffer, kind: MutationKind, rand: () => number): Buffer {
  const b = input;
  const n = b.length;
  if (n === 0) return Buffer.from(CHUNKS[int(rand, CHUNKS.length)]!);
  const pos = int(rand, n);
  switch (kind) {
    case 'flip': {
      const out = Buffer.from(b);
      out[pos] = out[pos]! ^ (1 << int(rand, 8));
      return out;
    }
    case 'set': {
      const out = Buffer.from(b);
      out[pos] = rand() < 0.7 ? INTERESTING[int(rand, INTERESTING.length)]! : int(rand, 256);
      return out;
    }
    case 'insert': {
      const len = 1 + int(rand, 4);
      const ins = Buffer.alloc(len);
      for (let i = 0; i < len; i++) ins[i] = rand() < 0.7 ? INTERESTING[int(rand, INTERESTING.length)]! : int(rand, 256);
      return Buffer.concat([b.subarray(0, pos), ins, b.subarray(pos)]);
    }
    case 'insertChunk':
      return Buffer.concat([b.subarray(0, pos), CHUNKS[int(rand, CHUNKS.length)]!, b.subarray(pos)]);
    case 'delete': {
      const len = 1 + int(rand, Math.min(16, n - pos));
      return Buffer.concat([b.subarray(0, pos), b.subarray(pos + len)]);
    }
    case 'duplicate': {
      const len = 1 + int(rand, Math.min(32, n - pos));
      const piece = b.subarray(pos, pos + len);
      return Buffer.concat([b.subarray(0, pos + len), piece, b.subarray(pos + len)]);
    }
    case 'deleteLine': {
      const starts = lineStarts(b);
      const [s, e] = lineRange(b, starts, int(rand, starts.length));
      return Buffer.concat([b.subarray(0, s), b.subarray(e)]);
    }
    case 'duplicateLine': {
      const starts = lineStarts(b);
      const [s, e] = lineRange(b, starts, int(rand, starts.length));
      return Buffer.concat([b.subarray(0, e), b.subarray(s, e), b.subarray(e)]);
    }
    case 'swapLines': {
      const starts = lineStarts(b);
      if (starts.length < 2) return b;
      const k = int(rand, starts.length - 1);
      const [s1, e1] = lineRange(b, starts, k);
      const [s2, e2] = lineRange(b, starts, k + 1);
      return Buffer.concat([b.subarray(0, s1), b.subarray(s2, e2), b.subarray(s1, e1), b.subarray(e2)]);
    }
    case 'truncate':
      return Buffer.from(b.subarray(0, pos));
  }
}

/** 1..maxOps random mutations of `input`. Returns the result and the kinds applied. */
export function mutate(input: Buffer, rand: () => number, maxOps = 3): { bytes: Buffer; ops: MutationKind[] } {
  const ops: MutationKind[] = [];
  let b = input;
  const count = 1 + int(rand, maxOps);
  for (let i = 0; i < count; i++) {
    const kind = KINDS[int(rand, KINDS.length)]!;
    ops.push(kind);
    b = mutateOnce(b, kind, rand);
  }
  return { bytes: b, ops };
}
