/**
 * A raw SIP peer for socket-level tests: sends exact bytes over UDP or TCP on loopback and
 * collects what comes back, parsed. Every wait is bounded.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { SipMessage } from '../../server/sip/grammar/message.js';
import { parseMessage } from '../../server/sip/grammar/parser.js';
import { SipStreamFramer } from '../../server/sip/transport/stream-framer.js';

export class UdpRawPeer {
  readonly received: SipMessage[] = [];
  private waiters: Array<() => void> = [];
  private constructor(
    private readonly socket: dgram.Socket,
    readonly port: number,
  ) {
    socket.on('message', (buf) => {
      try {
        this.received.push(parseMessage(buf));
      } catch {
        // the UA sent something we cannot parse: tests will notice the missing response
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(): Promise<UdpRawPeer> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return new UdpRawPeer(s, s.address().port);
  }

  send(buf: Buffer, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(buf, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  }

  /** Wait until `pred` holds for a received message, or `ms` passes; returns the message or undefined. */
  async waitFor(pred: (m: SipMessage) => boolean, ms: number): Promise<SipMessage | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.received.find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}

export class TcpRawPeer {
  readonly received: SipMessage[] = [];
  closedByPeer = false;
  private framer = new SipStreamFramer();
  private waiters: Array<() => void> = [];
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of this.framer.push(chunk)) this.received.push(parseMessage(f, undefined, { framing: 'stream' }));
      } catch {
        // ignore
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closedByPeer = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  static async connect(port: number): Promise<TcpRawPeer> {
    const s = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('error', reject);
    });
    s.setNoDelay(true);
    return new TcpRawPeer(s);
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  write(buf: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(buf, (e) => (e ? reject(e) : resolve())));
  }

  /** Write one byte per write call (each flushed before the next). */
  async writeBytewise(buf: Buffer): Promise<void> {
    for (let i = 0; i < buf.length; i++) await this.write(buf.subarray(i, i + 1));
  }

  async waitFor(pred: (m: SipMessage) => boolean, ms: number): Promise<SipMessage | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.received.find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0 || this.closedByPeer) return this.received.find(pred);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitClosed(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closedByPeer && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.closedByPeer;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A minimal OPTIONS request from a raw peer at 127.0.0.1:`port` over `proto`. */
export function optionsRequest(port: number, proto: 'UDP' | 'TCP', targetPort: number, id: string): Buffer {
  return Buffer.from(
    [
      `OPTIONS sip:acip@127.0.0.1:${targetPort} SIP/2.0`,
      `Via: SIP/2.0/${proto} 127.0.0.1:${port};branch=z9hG4bK-${id}`,
      'Max-Forwards: 70',
      `From: <sip:probe@127.0.0.1:${port}>;tag=probe-${id}`,
      `To: <sip:acip@127.0.0.1:${targetPort}>`,
      `Call-ID: probe-${id}@127.0.0.1`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}
