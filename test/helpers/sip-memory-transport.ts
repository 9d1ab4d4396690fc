/**
 * An in-memory "UDP" network driven by a FakeClock: messages are serialized, delivered after a
 * fixed latency, and parsed on arrival (so the grammar is exercised). A filter can drop chosen
 * messages to simulate loss. Used by UA tests that assert timer behaviour exactly.
 */
import type { FakeClock } from '../../server/util/clock.js';
import type { SipMessage } from '../../server/sip/grammar/message.js';
import { parseMessage } from '../../server/sip/grammar/parser.js';
import { serializeMessage } from '../../server/sip/grammar/serializer.js';
import { stampReceived } from '../../server/sip/transport/response-routing.js';
import {
  newCounters,
  type SipAddress,
  type SipDestination,
  type SipTransport,
  type SipTransportHandler,
} from '../../server/sip/transport/sip-transport.js';

export interface WireRecord {
  at: number;
  from: SipAddress;
  to: SipAddress;
  msg: SipMessage;
  dropped: boolean;
}

export class MemoryNetwork {
  readonly log: WireRecord[] = [];
  /** Return true to lose the message. */
  drop: (msg: SipMessage, from: SipAddress, to: SipAddress) => boolean = () => false;
  private readonly nodes = new Map<string, MemoryTransport>();
  private nextPort = 20000;

  constructor(
    readonly clock: FakeClock,
    readonly latencyMs = 10,
  ) {}

  transport(reliable = false): MemoryTransport {
    const t = new MemoryTransport(this, { address: '127.0.0.1', port: this.nextPort++ }, reliable);
    this.nodes.set(`${t.local.address}:${t.local.port}`, t);
    return t;
  }

  deliver(from: MemoryTransport, buf: Buffer, to: SipAddress): void {
    const msg = parseMessage(buf);
    const dropped = this.drop(msg, from.local, to);
    this.log.push({ at: this.clock.now(), from: from.local, to, msg, dropped });
    if (dropped) return;
    this.clock.setTimer(this.latencyMs, () => {
      const node = this.nodes.get(`${to.address}:${to.port}`);
      if (!node) return;
      node.receive(buf, from.local);
    });
  }

  /** Messages on the wire matching `pred` (including dropped ones). */
  find(pred: (r: WireRecord) => boolean): WireRecord[] {
    return this.log.filter(pred);
  }
}

export class MemoryTransport implements SipTransport {
  readonly protocol = 'udp' as const;
  readonly counters = newCounters();
  private handler: SipTransportHandler | undefined;
  closed = false;

  constructor(
    private readonly net: MemoryNetwork,
    readonly local: SipAddress,
    readonly reliable: boolean,
  ) {}

  setHandler(handler: SipTransportHandler): void {
    this.handler = handler;
  }

  receive(buf: Buffer, from: SipAddress): void {
    if (this.closed) return;
    const msg = parseMessage(buf);
    if (msg.kind === 'request') stampReceived(msg, from);
    this.handler?.onMessage(msg, { transport: this, remote: from, local: this.local });
  }

  send(msg: SipMessage | Buffer, dest: SipDestination): Promise<void> {
    if (this.closed) return Promise.reject(new Error('closed'));
    const buf = Buffer.isBuffer(msg) ? msg : serializeMessage(msg);
    this.net.deliver(this, buf, dest);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
