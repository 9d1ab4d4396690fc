/**
 * SIP over TCP (RFC 3261 §18): a listening server plus client connections, each framed by
 * `SipStreamFramer` (Content-Length, §18.3). Connections are shared both ways: a response goes
 * back on the connection its request came on (§18.2.2), and a request to a peer reuses an open
 * connection to it (§18.1.1).
 *
 * Hostile peers: a framing error (garbage, bad or conflicting Content-Length) closes the
 * connection; a partial message that does not complete within `stallTimeoutMs` closes it; a
 * connection silent for `idleTimeoutMs` closes; at most `maxConnections` are open. Timeouts run
 * on the injected Clock. TLS later: the same class over `tls` sockets (see `createConnection`).
 */
import net from 'node:net';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { SipMessage } from '../message.js';
import { parseMessageStream } from '../parser.js';
import { serializeMessage } from '../serializer.js';
import { SipFramingError, SipStreamFramer } from './stream-framer.js';
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

export interface TcpTransportOptions {
  clock: Clock;
  host?: string;
  port?: number;
  logger?: SipLogger;
  /** Default 256. */
  maxConnections?: number;
  /** Close a connection with no traffic for this long. Default 300 s. */
  idleTimeoutMs?: number;
  /** Close a connection whose partial message has not completed for this long. Default 10 s. */
  stallTimeoutMs?: number;
  /** Give up connecting after this long. Default 10 s. */
  connectTimeoutMs?: number;
}

interface Connection {
  id: string;
  socket: net.Socket;
  framer: SipStreamFramer;
  remote: SipAddress;
  idle: TimerHandle | undefined;
  stall: TimerHandle | undefined;
  closed: boolean;
}

let connectionSeq = 0;

export class TcpSipTransport implements SipTransport {
  readonly protocol = 'tcp' as const;
  readonly reliable = true;
  readonly counters = newCounters();
  private handler: SipTransportHandler | undefined;
  private readonly conns = new Map<string, Connection>();
  private readonly connecting = new Map<string, Promise<Connection>>();
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly logger: SipLogger;
  private readonly clock: Clock;
  private readonly maxConnections: number;
  private readonly idleTimeoutMs: number;
  private readonly stallTimeoutMs: number;
  private readonly connectTimeoutMs: number;

  private constructor(
    private readonly server: net.Server,
    readonly local: SipAddress,
    opts: TcpTransportOptions,
  ) {
    this.clock = opts.clock;
    this.logger = opts.logger ?? silentSipLogger;
    this.maxConnections = opts.maxConnections ?? 256;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 300_000;
    this.stallTimeoutMs = opts.stallTimeoutMs ?? 10_000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    server.on('connection', (socket) => {
      try {
        if (this.closed || this.conns.size >= this.maxConnections) {
          this.counters.connectionsRefused++;
          socket.destroy();
          return;
        }
        this.adopt(socket);
      } catch (err) {
        this.logger.error({ err: String(err) }, 'sip tcp: accepting a connection failed');
        socket.destroy();
      }
    });
    server.on('error', (err) => this.logger.warn({ err: String(err) }, 'sip tcp server error'));
  }

  static async listen(opts: TcpTransportOptions): Promise<TcpSipTransport> {
    const server = net.createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address() as net.AddressInfo;
    return new TcpSipTransport(server, { address: a.address, port: a.port }, opts);
  }

  setHandler(handler: SipTransportHandler): void {
    this.handler = handler;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  private adopt(socket: net.Socket): Connection {
    const conn: Connection = {
      id: `tcp-${++connectionSeq}`,
      socket,
      // RFC 5626 §3.5.1: a double-CRLF ping is answered with a single-CRLF pong.
      framer: new SipStreamFramer({ onKeepAlive: (kind) => kind === 'ping' && !socket.destroyed && socket.write('\r\n') }),
      remote: { address: socket.remoteAddress ?? '0.0.0.0', port: socket.remotePort ?? 0 },
      idle: undefined,
      stall: undefined,
      closed: false,
    };
    this.conns.set(conn.id, conn);
    this.counters.connectionsOpened++;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (err) => this.logger.debug({ conn: conn.id, err: String(err) }, 'sip tcp socket error'));
    socket.on('close', () => this.dropConnection(conn));
    this.armIdle(conn);
    return conn;
  }

  private armIdle(conn: Connection): void {
    conn.idle?.cancel();
    conn.idle = this.clock.setTimer(this.idleTimeoutMs, () => {
      this.logger.debug({ conn: conn.id }, 'sip tcp: idle connection closed');
      this.destroy(conn);
    });
  }

  private onData(conn: Connection, chunk: Buffer): void {
    try {
      if (conn.closed) return;
      this.armIdle(conn);
      let frames: Buffer[];
      try {
        frames = conn.framer.push(chunk);
      } catch (err) {
        // Framing is unrecoverable (RFC 4475 §3.1.2.3, §3.3.9): deliver what was complete before
        // the fault, answer the faulty request if we can, then close.
        if (err instanceof SipFramingError) for (const frame of err.messages) this.onFrame(conn, frame);
        this.counters.malformed++;
        this.logger.debug({ conn: conn.id, err: String(err) }, 'sip tcp: framing error; closing');
        offerMalformedRequest(err, this.handler, this.info(conn));
        this.close1(conn);
        return;
      }
      for (const frame of frames) this.onFrame(conn, frame);
      this.checkStall(conn);
    } catch (err) {
      this.counters.dropped++;
      this.logger.error({ conn: conn.id, err: String(err) }, 'sip tcp: handler failed');
    }
  }

  /** A partial message must complete within the stall timeout (slowloris defence). */
  private checkStall(conn: Connection): void {
    if (conn.closed) return;
    if (conn.framer.bufferedBytes > 0) {
      if (!conn.stall) {
        conn.stall = this.clock.setTimer(this.stallTimeoutMs, () => {
          this.counters.malformed++;
          this.logger.debug({ conn: conn.id }, 'sip tcp: stalled partial message; closing');
          this.destroy(conn);
        });
      }
    } else {
      conn.stall?.cancel();
      conn.stall = undefined;
    }
  }

  private onFrame(conn: Connection, frame: Buffer): void {
    if (conn.closed) return;
    this.counters.messagesIn++;
    const info = this.info(conn);
    let msg: SipMessage;
    try {
      msg = parseMessageStream(frame);
    } catch (err) {
      this.counters.malformed++;
      offerMalformedRequest(err, this.handler, info);
      return;
    }
    // A new message completes: the stall clock restarts for whatever follows it.
    conn.stall?.cancel();
    conn.stall = undefined;
    if (msg.kind === 'request') stampReceived(msg, conn.remote);
    this.handler?.onMessage(msg, info);
  }

  private info(conn: Connection): InboundInfo {
    return { transport: this, remote: conn.remote, local: this.local, connectionId: conn.id };
  }

  /** Graceful close: flush what was written (e.g. a 400), then FIN. */
  private close1(conn: Connection): void {
    if (conn.closed) return;
    this.dropConnection(conn);
    conn.socket.end();
    // If the peer never reads, do not keep the socket forever.
    this.clock.setTimer(1000, () => conn.socket.destroy());
  }

  private destroy(conn: Connection): void {
    this.dropConnection(conn);
    conn.socket.destroy();
  }

  private dropConnection(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.idle?.cancel();
    conn.stall?.cancel();
    this.conns.delete(conn.id);
    this.counters.connectionsClosed++;
  }

  private findOpen(dest: SipDestination): Connection | undefined {
    if (dest.connectionId) {
      const c = this.conns.get(dest.connectionId);
      if (c && !c.closed && !c.socket.destroyed) return c;
    }
    for (const c of this.conns.values()) {
      if (!c.closed && !c.socket.destroyed && c.remote.address === dest.address && c.remote.port === dest.port) return c;
    }
    return undefined;
  }

  private connect(dest: SipAddress): Promise<Connection> {
    const key = `${dest.address}|${dest.port}`;
    const pending = this.connecting.get(key);
    if (pending) return pending;
    const p = new Promise<Connection>((resolve, reject) => {
      if (this.conns.size >= this.maxConnections) {
        reject(new Error('sip tcp: connection limit reached'));
        return;
      }
      const socket = net.connect({ host: dest.address, port: dest.port, noDelay: true });
      const timer = this.clock.setTimer(this.connectTimeoutMs, () => {
        socket.destroy();
        reject(new Error(`sip tcp: connect to ${dest.address}:${dest.port} timed out`));
      });
      socket.once('connect', () => {
        timer.cancel();
        socket.removeAllListeners('error');
        const conn = this.adopt(socket);
        conn.remote = { address: dest.address, port: dest.port };
        resolve(conn);
      });
      socket.once('error', (err) => {
        timer.cancel();
        socket.destroy();
        reject(err);
      });
    });
    this.connecting.set(key, p);
    const clear = () => this.connecting.delete(key);
    p.then(clear, clear);
    return p;
  }

  async send(msg: SipMessage | Buffer, dest: SipDestination): Promise<void> {
    if (this.closed) throw new Error('tcp transport closed');
    const buf = Buffer.isBuffer(msg) ? msg : serializeMessage(msg);
    // Write synchronously when a connection is open, so a 400 written just before a close is flushed.
    const conn = this.findOpen(dest) ?? (await this.connect(dest));
    await new Promise<void>((resolve, reject) => {
      conn.socket.write(buf, (err) => (err ? reject(err) : resolve()));
    });
    this.counters.messagesOut++;
  }

  /** Idempotent; every call resolves once the listening socket is closed. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    for (const c of [...this.conns.values()]) this.destroy(c);
    this.closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    return this.closing;
  }
}
