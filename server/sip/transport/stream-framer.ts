/**
 * Cut a TCP or TLS byte stream into SIP messages (RFC 3261 §18.3): find the empty line that
 * ends the headers, read Content-Length from them (mandatory on streams), wait for that many body
 * bytes. Between messages, CRLFs are keep-alives (RFC 5626 §3.5.1: a double CRLF "ping" is
 * answered with a single CRLF "pong"; a single CRLF is a pong and is ignored).
 *
 * Work is linear in the bytes received: the header-end search resumes where it stopped, so a
 * 64 KiB message fed one byte at a time costs O(64 Ki), not O(64 Ki^2).
 *
 * A framing failure (headers too large, message too large, Content-Length missing, malformed,
 * negative or conflicting) throws `SipFramingError`; the stream position is then lost and the
 * connection must be closed. Messages completed earlier in the same push ride on the error
 * (`messages`). The framer stays failed: later pushes throw the same error (with no messages).
 */
import { SipParseError, type SipParseErrorCode } from '../grammar/parse-error.js';
import type { SipMessage } from '../grammar/message.js';
import { findBodyStart, parseHead, readHeaderSection } from '../grammar/parser.js';
import { parseContentLength } from '../grammar/headers.js';
import { resolveLimits, type SipLimits } from '../grammar/limits.js';

const LF = 0x0a;
const CR = 0x0d;

export class SipFramingError extends SipParseError {
  /**
   * Messages completed in the same `push` before the failure, in order: process them, then close
   * the connection.
   */
  messages: Buffer[] = [];

  constructor(code: SipParseErrorCode, message: string, field?: string, partial?: SipMessage) {
    super(code, message, field, partial);
    this.name = 'SipFramingError';
  }
}

export type KeepAliveKind = 'ping' | 'pong';

export interface SipStreamFramerOptions {
  limits?: Partial<SipLimits>;
  /** Called for each double-CRLF ping (answer with one CRLF) and each lone-CRLF pong. */
  onKeepAlive?: (kind: KeepAliveKind) => void;
}

type Phase = 'gap' | 'headers' | 'body';

export class SipStreamFramer {
  private readonly limits: SipLimits;
  private readonly onKeepAlive: ((kind: KeepAliveKind) => void) | undefined;
  private storage: Buffer = Buffer.alloc(0);
  private len = 0;
  /** First byte not yet consumed (start of the current message in phases headers/body). */
  private head = 0;
  private phase: Phase = 'gap';
  private scanPos = 0;
  private needed = 0;
  private lfInGap = 0;
  private failure: SipFramingError | undefined;
  /** Counters for the transport's metrics. */
  pings = 0;
  pongs = 0;
  messages = 0;

  constructor(options: SipStreamFramerOptions = {}) {
    this.limits = resolveLimits(options.limits);
    this.onKeepAlive = options.onKeepAlive;
  }

  /** Bytes received but not yet returned as a message (for stall detection). */
  get bufferedBytes(): number {
    return this.len - this.head;
  }

  /** True while a message has started but is not complete (a stalled peer shows up here). */
  get inMessage(): boolean {
    return this.phase !== 'gap';
  }

  get failed(): SipFramingError | undefined {
    return this.failure;
  }

  /** Feed bytes; returns the complete messages (exact bytes, copied) in arrival order. */
  push(chunk: Buffer): Buffer[] {
    if (this.failure) {
      this.failure.messages = [];
      throw this.failure;
    }
    this.append(chunk);
    const out: Buffer[] = [];
    try {
      this.drain(out);
    } catch (e) {
      if (e instanceof SipFramingError) {
        e.messages = out;
        this.failure = e;
      }
      throw e;
    }
    return out;
  }

  private append(chunk: Buffer): void {
    if (this.head === this.len && this.phase === 'gap') {
      this.head = 0;
      this.len = 0;
    }
    if (this.len + chunk.length > this.storage.length) {
      const live = this.len - this.head;
      const shift = this.head;
      if (shift > 0 && live + chunk.length <= this.storage.length) {
        this.storage.copyWithin(0, this.head, this.len);
      } else {
        const cap = Math.max(this.storage.length * 2, live + chunk.length, 4096);
        const next = Buffer.allocUnsafe(cap);
        this.storage.copy(next, 0, this.head, this.len);
        this.storage = next;
      }
      this.head = 0;
      this.len = live;
      this.scanPos -= shift;
      this.needed -= shift;
    }
    chunk.copy(this.storage, this.len);
    this.len += chunk.length;
  }

  private drain(out: Buffer[]): void {
    const view = this.storage.subarray(0, this.len);
    for (;;) {
      if (this.phase === 'gap') {
        while (this.head < this.len) {
          const b = view[this.head]!;
          if (b !== CR && b !== LF) break;
          this.head++;
          if (b === LF && ++this.lfInGap === 2) {
            this.lfInGap = 0;
            this.pings++;
            this.onKeepAlive?.('ping');
          }
        }
        if (this.head >= this.len) return;
        if (this.lfInGap === 1) {
          this.pongs++;
          this.onKeepAlive?.('pong');
        }
        this.lfInGap = 0;
        this.phase = 'headers';
        this.scanPos = this.head;
      }
      if (this.phase === 'headers') {
        const bodyStart = findBodyStart(view, this.scanPos, this.len);
        if (bodyStart < 0) {
          // Resume two bytes back: the LF [CR] LF may straddle the next chunk.
          this.scanPos = Math.max(this.head, this.len - 2);
          if (this.len - this.head > this.limits.maxHeaderSectionBytes) {
            throw new SipFramingError('SIP_HEADERS_TOO_LARGE', `Header section too large (limit ${this.limits.maxHeaderSectionBytes} bytes)`);
          }
          return;
        }
        const headLen = bodyStart - this.head;
        if (headLen > this.limits.maxHeaderSectionBytes) {
          throw new SipFramingError('SIP_HEADERS_TOO_LARGE', `Header section too large (limit ${this.limits.maxHeaderSectionBytes} bytes)`);
        }
        const cl = this.contentLength(view, bodyStart);
        if (headLen + cl > this.limits.maxMessageBytes) {
          throw new SipFramingError('SIP_TOO_LARGE', `Message too large (${headLen + cl} bytes, limit ${this.limits.maxMessageBytes})`, undefined, this.partial(view, bodyStart));
        }
        this.needed = bodyStart + cl;
        this.phase = 'body';
      }
      if (this.phase === 'body') {
        if (this.len < this.needed) return;
        out.push(Buffer.from(view.subarray(this.head, this.needed)));
        this.messages++;
        this.head = this.needed;
        this.phase = 'gap';
      }
    }
  }

  private partial(view: Buffer, bodyStart: number): SipMessage | undefined {
    try {
      return parseHead(view.subarray(this.head, bodyStart), this.limits);
    } catch {
      return undefined;
    }
  }

  /** §18.3: Content-Length MUST be used with stream transports; conflicting values are unrecoverable (RFC 4475 §3.3.9). */
  private contentLength(view: Buffer, bodyStart: number): number {
    let fields;
    try {
      fields = readHeaderSection(view.toString('utf8', this.head, bodyStart), this.limits).fields;
    } catch (e) {
      if (e instanceof SipParseError) throw new SipFramingError(e.code, e.message, e.field);
      throw e;
    }
    let cl: number | undefined;
    for (const f of fields) {
      if (f.name !== 'Content-Length') continue;
      let n: number;
      try {
        n = parseContentLength(f.value, this.limits.maxMessageBytes);
      } catch (e) {
        const msg = e instanceof SipParseError ? e.message : 'Bad Content-Length';
        throw new SipFramingError('SIP_BAD_CONTENT_LENGTH', msg, 'Content-Length', this.partial(view, bodyStart));
      }
      if (cl !== undefined && cl !== n) {
        throw new SipFramingError('SIP_BAD_CONTENT_LENGTH', 'Conflicting Content-Length headers', 'Content-Length', this.partial(view, bodyStart));
      }
      cl = n;
    }
    if (cl === undefined) {
      throw new SipFramingError('SIP_BAD_CONTENT_LENGTH', 'Missing Content-Length on a stream transport', 'Content-Length', this.partial(view, bodyStart));
    }
    return cl;
  }
}
