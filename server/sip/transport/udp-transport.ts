/**
 * SIP over UDP (RFC 3261 §18): one socket; each datagram is one message (§18.3: bytes past
 * Content-Length are discarded by the parser). Nothing thrown while handling a datagram
 * escapes the socket handler: it is counted, logged, and dropped.
 */
import dgram from 'node:dgram';
import type { SipMessage } from '../grammar/message.js';
import { parseMessage } from '../grammar/parser.js';
import { serializeMessage } from '../grammar/serializer.js';
import { silentSipLogger, type SipLogger } from './sip-logger.js';
import { offerMalformedRequest, stampReceived } from './response-routing.js';
import {
  newCounters,
  type InboundInfo,
  type SipAddress,
  type SipDestination,
  type SipTransport,
  type SipTransportHandler,
} from './sip-transport.js';

export interface UdpTransportOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  logger?: SipLogger;
  /** SO_RCVBUF asked for, bytes (default RECEIVE_BUFFER_BYTES; the kernel caps it at net.core.rmem_max). */
  receiveBufferBytes?: number;
}

/**
 * Receive buffer of the SIP socket. The kernel's default (about 200 KB, which it charges a few KB per
 * small datagram) holds only a hundred or so messages: a 200 ms stall of the event loop during a flood
 * of 300 calls/s (a cold start, a GC pause) overflows it, and the kernel drops what arrives next. A lost
 * ACK or BYE costs more than a late one: the 2xx is retransmitted until Timer H and the link stays up
 * until its media times out (a caller such as sipp may take the retransmitted 2xx for the BYE's answer
 * and never resend the BYE). 2 MiB holds about a second of such a flood; RFC 3261 §17 timers
 * (T1 = 500 ms and doubling) absorb a second of delay where a loss costs a retransmission or a call.
 */
export const RECEIVE_BUFFER_BYTES = 2 * 1024 * 1024;

/** Datagrams of only CR/LF/space are keep-alives (RFC 5626 §3.5.1 style): ignore them. */
function isKeepAlive(buf: Buffer): boolean {
  for (const b of buf) if (b !== 0x0d && b !== 0x0a && b !== 0x20) return false;
  return true;
}

export class UdpSipTransport implements SipTransport {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  readonly counters = newCounters();
  private handler: SipTransportHandler | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly logger: SipLogger;

  private constructor(
    private readonly socket: dgram.Socket,
    readonly local: SipAddress,
    logger: SipLogger,
  ) {
    this.logger = logger;
    socket.on('message', (buf, rinfo) => this.onDatagram(buf, { address: rinfo.address, port: rinfo.port }));
    socket.on('error', (err) => this.logger.warn({ err: String(err) }, 'sip udp socket error'));
  }

  static async listen(opts: UdpTransportOptions = {}): Promise<UdpSipTransport> {
    const host = opts.host ?? '127.0.0.1';
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(opts.port ?? 0, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const logger = opts.logger ?? silentSipLogger;
    try {
      socket.setRecvBufferSize(opts.receiveBufferBytes ?? RECEIVE_BUFFER_BYTES);
    } catch (err) {
      // Not fatal: the socket works with the kernel's default buffer, it only overflows sooner.
      logger.warn({ err: String(err) }, 'sip udp: could not enlarge the receive buffer');
    }
    const a = socket.address();
    return new UdpSipTransport(socket, { address: a.address, port: a.port }, logger);
  }

  /** The receive buffer the kernel granted, bytes (it doubles what was asked for, up to twice rmem_max). */
  get receiveBufferBytes(): number {
    return this.socket.getRecvBufferSize();
  }

  setHandler(handler: SipTransportHandler): void {
    this.handler = handler;
  }

  private onDatagram(buf: Buffer, remote: SipAddress): void {
    try {
      if (isKeepAlive(buf)) return;
      this.counters.messagesIn++;
      const info: InboundInfo = { transport: this, remote, local: this.local };
      let msg: SipMessage;
      try {
        msg = parseMessage(buf);
      } catch (err) {
        this.counters.malformed++;
        this.logger.debug({ remote, err: String(err) }, 'sip udp: malformed datagram');
        // Requests get a 400 if they can be answered; responses are dropped (RFC 4475 §3.1.2.19).
        offerMalformedRequest(err, this.handler, info);
        return;
      }
      if (msg.kind === 'request') stampReceived(msg, remote);
      this.handler?.onMessage(msg, info);
    } catch (err) {
      this.counters.dropped++;
      this.logger.error({ remote, err: String(err) }, 'sip udp: handler failed; datagram dropped');
    }
  }

  send(msg: SipMessage | Buffer, dest: SipDestination): Promise<void> {
    if (this.closed) return Promise.reject(new Error('udp transport closed'));
    let buf: Buffer;
    try {
      buf = Buffer.isBuffer(msg) ? msg : serializeMessage(msg);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      try {
        this.socket.send(buf, dest.port, dest.address, (err) => {
          if (err) reject(err);
          else {
            this.counters.messagesOut++;
            resolve();
          }
        });
      } catch (err) {
        reject(err);
      }
    });
  }

  /** Idempotent; every call resolves once the socket is closed. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
    return this.closing;
  }
}
