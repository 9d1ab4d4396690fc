/**
 * How an RTP session drops what it cannot use without letting a flood flood the log: a warning at
 * the first occurrence of each kind and every 1000th after, and the parse-or-drop step that counts a
 * rejected datagram by its parser's error code.
 */
import type dgram from 'node:dgram';
import type { RtpLogger } from './rtp-session-types.js';

export class DropLog {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly logger: RtpLogger | undefined,
    private readonly ssrc: number,
  ) {}

  warn(key: string, obj: object, msg: string): void {
    if (!this.logger) return;
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    if (n === 1 || n % 1000 === 0) this.logger.warn({ ...obj, occurrences: n, ssrc: this.ssrc }, msg);
  }
}

/**
 * `parse(datagram)`, or undefined when the parser rejects it with `ParseError`: then the drop is
 * counted by reason in `counts` and logged (rate-limited). Any other error is a bug and propagates.
 * The parser and the datagram come separately so the per-packet path allocates no closure.
 */
export function parseOrDrop<T, C extends string>(
  log: DropLog,
  kind: 'rtp' | 'rtcp',
  parse: (datagram: Buffer) => T,
  datagram: Buffer,
  ParseError: abstract new (...args: never[]) => { code: C; message: string },
  counts: Record<C, number>,
  rinfo: dgram.RemoteInfo,
): T | undefined {
  try {
    return parse(datagram);
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    counts[err.code]++;
    log.warn(`${kind}-${err.code}`, { from: `${rinfo.address}:${rinfo.port}`, reason: err.message }, `malformed ${kind} dropped`);
    return undefined;
  }
}
