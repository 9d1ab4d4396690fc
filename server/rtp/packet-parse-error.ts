/**
 * What the RTP and RTCP parsers throw on malformed input: a stable code saying what is wrong and
 * the byte offset where the parser stopped. Each parser narrows the code to its own list
 * (RtpParseError, RtcpParseError).
 */
import { AcipError, type AcipErrorCode } from '../util/errors.js';

export class PacketParseError<C extends AcipErrorCode> extends AcipError {
  override readonly code: C;
  /** Byte offset where the problem was found. */
  readonly offset: number;

  constructor(code: C, message: string, offset: number) {
    super(code, message);
    this.code = code;
    this.offset = offset;
  }
}
