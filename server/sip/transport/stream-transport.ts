/**
 * What SIP over TCP and SIP over TLS share (RFC 3261 §18): a listening server plus client
 * connections, each framed by `SipStreamFramer` (Content-Length, §18.3). Connections are shared
 * both ways: a response goes back on the connection its request came on (§18.2.2), and a request
 * to a peer reuses an open connection to it (§18.1.1). Subclasses say how a socket is accepted and
 * dialled (`net` or `tls`) and which connection may carry a given request (`mayReuse`).
 *
 * Hostile peers: a framing error (garbage, bad or conflicting Content-Length, a message over the
 * size limits) closes the connection after answering 400 where the headers were readable; a
 * partial message that does not complete within `stallTimeoutMs` closes it; a connection silent
 * for `idleTimeoutMs` closes; at most `maxConnections` are open. Timeouts run on the injected Clock.
 */
import type net from 'node:net';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { SipMessage } from '../grammar/message.js';
import { parseMessageStream } from '../grammar/parser.js';
import { serializeMessage } from '../grammar/serializer.js';
import { SipFramingError, SipStreamFramer } from './stream-framer.js';
import { silentSipLogger, type SipLogger } from './sip-logger.js';
import { offerMalformedRequest, readTopVia, stampReceived } from './response-routing.js';
import {
  newCounters,
  type InboundInfo,
  type SipAddress,
  type SipDestination,
  type SipTransport,
  type SipTransportHandler,
  type SipTransportProtocol,
} from './sip-transport.js';

export interface StreamTransportOptions {
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
  /** Give up connecting (TLS: connecting and the handshake) after this long. Default 10 s. */
  connectTimeoutMs?: number;
}

export interface StreamConnection {
  id: string;
  socket: net.Socket;
  framer: SipStreamFramer;
  remote: SipAddress;
  /** We dialled it (false: the peer connected to us). */
  outbound: boolean;
  /** TLS: the peer's certificate was verified when we dialled (always false inbound and for TCP). */
  verified: boolean;
  /** TLS: the name we asked for with SNI and verified, when we dialled a name. */
  serverName: string | undefined;
  idle: TimerHandle | undefined;
  stall: TimerHandle | undefined;
  closed: boolean;
}

/** A dialled socket and the event that says it is ready for SIP (`connect`, `secureConnect`). */
export interface Dialled {
  socket: net.Socket;
  readyEvent: 'connect' | 'secureConnect';
  /** Called once ready: throw to refuse the connection (e.g. a certificate that failed verification). */
  accept(conn: StreamConnection): void;
  /** Turn a socket error before ready into the error the sender sees. */
  mapError(err: Error): Error;
}

let connectionSeq = 0;

const addrKey = (a: SipAddress) => `${a.address.toLowerCase()}|${a.port}`;

export abstract class StreamSipTransport implements SipTransport {
  abstract readonly protocol: Exclude<SipTransportProtocol, 'udp'>;
  readonly reliable = true;
  readonly counters = newCounters();
  protected handler: SipTransportHandler | undefined;
  protected readonly conns = new Map<string, StreamConnection>();
  /** RFC 5923 aliases: a peer's advertised sent-by → the connection it opened to us. */
  private readonly aliases = new Map<string, string>();
  private readonly connecting = new Map<string, Promise<StreamConnection>>();
  protected closed = false;
  private closing: Promise<void> | undefined;
  protected readonly logger: SipLogger;
  protected readonly clock: Clock;
  private readonly maxConnections: number;
  private readonly idleTimeoutMs: number;
  private readonly stallTimeoutMs: number;
  private readonly connectTimeoutMs: number;

  protected constructor(
    protected readonly server: net.Server,
    readonly local: SipAddress,
    opts: StreamTransportOptions,
    /** The server event that hands over a ready socket (`connection`, `secureConnection`). */
    acceptEvent: 'connection' | 'secureConnection',
  ) {
    this.clock = opts.clock;
    this.logger = opts.logger ?? silentSipLogger;
    this.maxConnections = opts.maxConnections ?? 256;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 300_000;
    this.stallTimeoutMs = opts.stallTimeoutMs ?? 10_000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    server.on(acceptEvent, (socket: net.Socket) => {
      try {
        if (this.closed || this.conns.size >= this.maxConnections) {
          this.counters.connectionsRefused++;
          socket.destroy();
          return;
        }
        this.adopt(socket, false);
      } catch (err) {
        this.logger.error({ err: String(err) }, `sip ${this.protocol}: accepting a connection failed`);
        socket.destroy();
      }
    });
    server.on('error', (err) => this.logger.warn({ err: String(err) }, `sip ${this.protocol} server error`));
  }

  /** Listen on `server` and resolve with the bound address. */
  protected static async bind(server: net.Server, opts: StreamTransportOptions): Promise<SipAddress> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address() as net.AddressInfo;
    return { address: a.address, port: a.port };
  }

  /** Open a client socket to `dest`. */
  protected abstract dial(dest: SipDestination): Dialled;

  /** Whether the open connection `conn` (found by address) may carry a message to `dest`. */
  protected mayReuse(_conn: StreamConnection, _dest: SipDestination): boolean {
    return true;
  }

  /** RFC 5923: whether this transport honours the Via `alias` parameter. */
  protected readonly honoursAlias: boolean = false;

  /** The port a Via sent-by without one means on this transport (§18.2.2, §19.1.2). */
  protected abstract readonly defaultPort: number;

  setHandler(handler: SipTransportHandler): void {
    this.handler = handler;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  private adopt(socket: net.Socket, outbound: boolean): StreamConnection {
    const conn: StreamConnection = {
      id: `${this.protocol}-${++connectionSeq}`,
      socket,
      // RFC 5626 §3.5.1: a double-CRLF ping is answered with a single-CRLF pong.
      framer: new SipStreamFramer({ onKeepAlive: (kind) => kind === 'ping' && !socket.destroyed && socket.write('\r\n') }),
      remote: { address: socket.remoteAddress ?? '0.0.0.0', port: socket.remotePort ?? 0 },
      outbound,
      verified: false,
      serverName: undefined,
      idle: undefined,
      stall: undefined,
      closed: false,
    };
    this.conns.set(conn.id, conn);
    this.counters.connectionsOpened++;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (err) => this.logger.debug({ conn: conn.id, err: String(err) }, `sip ${this.protocol} socket error`));
    socket.on('close', () => this.dropConnection(conn));
    this.armIdle(conn);
    return conn;
  }

  private armIdle(conn: StreamConnection): void {
    conn.idle?.cancel();
    conn.idle = this.clock.setTimer(this.idleTimeoutMs, () => {
      this.logger.debug({ conn: conn.id }, `sip ${this.protocol}: idle connection closed`);
      this.destroy(conn);
    });
  }

  private onData(conn: StreamConnection, chunk: Buffer): void {
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
        this.logger.debug({ conn: conn.id, err: String(err) }, `sip ${this.protocol}: framing error; closing`);
        offerMalformedRequest(err, this.handler, this.info(conn));
        this.close1(conn);
        return;
      }
      for (const frame of frames) this.onFrame(conn, frame);
      this.checkStall(conn);
    } catch (err) {
      this.counters.dropped++;
      this.logger.error({ conn: conn.id, err: String(err) }, `sip ${this.protocol}: handler failed`);
    }
  }

  /** A partial message must complete within the stall timeout (slowloris defence). */
  private checkStall(conn: StreamConnection): void {
    if (conn.closed) return;
    if (conn.framer.bufferedBytes > 0) {
      if (!conn.stall) {
        conn.stall = this.clock.setTimer(this.stallTimeoutMs, () => {
          this.counters.malformed++;
          this.logger.debug({ conn: conn.id }, `sip ${this.protocol}: stalled partial message; closing`);
          this.destroy(conn);
        });
      }
    } else {
      conn.stall?.cancel();
      conn.stall = undefined;
    }
  }

  private onFrame(conn: StreamConnection, frame: Buffer): void {
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
    if (msg.kind === 'request') {
      if (this.honoursAlias && !conn.outbound) this.noteAlias(conn, msg);
      stampReceived(msg, conn.remote);
    }
    this.handler?.onMessage(msg, info);
  }

  /**
   * RFC 5923 §5: a request whose top Via carries `alias` lets us send requests for its sent-by
   * back over this connection. Deliberate deviation from §5.3 (which checks the alias against the
   * client's certificate, often absent on SIP clients): we accept an alias only for the address
   * the connection comes from, so a peer can never capture traffic meant for a third party.
   */
  private noteAlias(conn: StreamConnection, msg: SipMessage): void {
    const via = readTopVia(msg);
    if (!via || !via.params.has('alias')) return;
    if (via.host.toLowerCase() !== conn.remote.address.toLowerCase()) return;
    this.aliases.set(addrKey({ address: via.host, port: via.port ?? this.defaultPort }), conn.id);
  }

  protected info(conn: StreamConnection): InboundInfo {
    return { transport: this, remote: conn.remote, local: this.local, connectionId: conn.id };
  }

  /** Graceful close: flush what was written (e.g. a 400), then FIN. */
  private close1(conn: StreamConnection): void {
    if (conn.closed) return;
    this.dropConnection(conn);
    conn.socket.end();
    // If the peer never reads, do not keep the socket forever.
    this.clock.setTimer(1000, () => conn.socket.destroy());
  }

  private destroy(conn: StreamConnection): void {
    this.dropConnection(conn);
    conn.socket.destroy();
  }

  private dropConnection(conn: StreamConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.idle?.cancel();
    conn.stall?.cancel();
    this.conns.delete(conn.id);
    for (const [k, id] of this.aliases) if (id === conn.id) this.aliases.delete(k);
    this.counters.connectionsClosed++;
  }

  private isOpen(c: StreamConnection | undefined): c is StreamConnection {
    return c !== undefined && !c.closed && !c.socket.destroyed;
  }

  private findOpen(dest: SipDestination): StreamConnection | undefined {
    if (dest.connectionId) {
      const c = this.conns.get(dest.connectionId);
      if (this.isOpen(c)) return c;
    }
    const aliased = this.aliases.get(addrKey(dest));
    if (aliased) {
      const c = this.conns.get(aliased);
      if (this.isOpen(c)) return c;
    }
    for (const c of this.conns.values()) {
      if (this.isOpen(c) && c.remote.address === dest.address && c.remote.port === dest.port && this.mayReuse(c, dest)) return c;
    }
    return undefined;
  }

  /** One connection per remote target: concurrent sends to the same one share a pending connect. */
  private connect(dest: SipDestination): Promise<StreamConnection> {
    const key = `${addrKey(dest)}|${dest.serverName ?? ''}|${dest.tlsVerify === false ? 'noverify' : ''}`;
    const pending = this.connecting.get(key);
    if (pending) return pending;
    const p = new Promise<StreamConnection>((resolve, reject) => {
      if (this.conns.size >= this.maxConnections) {
        reject(new Error(`sip ${this.protocol}: connection limit reached`));
        return;
      }
      const d = this.dial(dest);
      const { socket } = d;
      const timer = this.clock.setTimer(this.connectTimeoutMs, () => {
        socket.destroy();
        reject(new Error(`sip ${this.protocol}: connect to ${dest.address}:${dest.port} timed out`));
      });
      socket.once(d.readyEvent, () => {
        timer.cancel();
        socket.removeAllListeners('error');
        const conn = this.adopt(socket, true);
        conn.remote = { address: dest.address, port: dest.port };
        try {
          d.accept(conn);
        } catch (err) {
          this.destroy(conn);
          reject(err as Error);
          return;
        }
        resolve(conn);
      });
      socket.once('error', (err) => {
        timer.cancel();
        socket.destroy();
        reject(d.mapError(err));
      });
    });
    this.connecting.set(key, p);
    const clear = () => this.connecting.delete(key);
    p.then(clear, clear);
    return p;
  }

  async send(msg: SipMessage | Buffer, dest: SipDestination): Promise<void> {
    if (this.closed) throw new Error(`${this.protocol} transport closed`);
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
