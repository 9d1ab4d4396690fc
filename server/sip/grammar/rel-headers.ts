/**
 * Reliable provisional responses (RFC 3262 §7): the RSeq header of a reliable 1xx and the RAck
 * header of the PRACK that acknowledges it.
 *
 *   RSeq          =  "RSeq" HCOLON response-num
 *   response-num  =  1*DIGIT
 *   RAck          =  "RAck" HCOLON response-num LWS CSeq-num LWS Method
 *
 * Parsers return a typed value or throw `SipParseError` (never another error); its message is a
 * printable reason phrase for the 400 a UAS answers with.
 */
import { SipParseError, excerpt } from './parse-error.js';
import { isToken, parseDigits, skipWsp, trimWsp } from './lex.js';
import { MAX_CSEQ } from './headers.js';

/**
 * Largest RSeq read or written: the first is below 2^31 (below) and each further one is one higher,
 * so no real dialog gets near 2^32-1; larger numbers are rejected rather than rounded.
 */
export const MAX_RSEQ = 2 ** 32 - 1;
/** §3: the RSeq of the first reliable provisional response MUST be between 1 and 2**31 - 1 (chosen uniformly, RECOMMENDED). */
export const MAX_INITIAL_RSEQ = 2 ** 31 - 1;

export interface RAck {
  rseq: number;
  cseq: number;
  method: string;
}

export function parseRSeq(value: string): number {
  const n = parseDigits(trimWsp(value), MAX_RSEQ, 'RSeq');
  if (n === 0) throw new SipParseError('SIP_BAD_NUMBER', 'Bad RSeq: 0 is not a response number', 'RSeq');
  return n;
}

export function formatRSeq(rseq: number): string {
  return String(rseq);
}

/** §7.2: three fields separated by LWS; the method is the CSeq method of the reliable response. */
export function parseRAck(value: string): RAck {
  const v = trimWsp(value);
  const fields: string[] = [];
  let i = 0;
  while (i < v.length) {
    let j = i;
    while (j < v.length && v[j] !== ' ' && v[j] !== '\t') j++;
    fields.push(v.slice(i, j));
    i = skipWsp(v, j);
  }
  if (fields.length !== 3) throw new SipParseError('SIP_BAD_HEADER', `Bad RAck: expected "rseq cseq method" in ${excerpt(v)}`, 'RAck');
  const [r, c, m] = fields as [string, string, string];
  const rseq = parseDigits(r, MAX_RSEQ, 'RAck');
  const cseq = parseDigits(c, MAX_CSEQ, 'RAck');
  if (rseq === 0) throw new SipParseError('SIP_BAD_NUMBER', 'Bad RAck: response number 0', 'RAck');
  if (!isToken(m)) throw new SipParseError('SIP_BAD_HEADER', `Bad RAck: bad method ${excerpt(m)}`, 'RAck');
  return { rseq, cseq, method: m };
}

export function formatRAck(rack: RAck): string {
  return `${rack.rseq} ${rack.cseq} ${rack.method}`;
}

/** §3: the first RSeq of a dialog's reliable responses, drawn from `random` in [0, 1). */
export function initialRSeq(random: () => number): number {
  // r < 1, so the result is 1 .. 2^31-1.
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return 1 + Math.floor(r * MAX_INITIAL_RSEQ);
}
