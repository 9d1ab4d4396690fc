/**
 * The transport seam (RFC 3261 §18). A transport moves bytes and parsed messages; it knows
 * nothing of transactions. UDP, TCP and TLS (RFC 3261 §26.2) implement it; TCP and TLS share
 * their connection handling (`stream-transport.ts`).
 */
import type { SipMessage, SipRequest } from '../grammar/message.js';

export type SipTransportProtocol = 'udp' | 'tcp' | 'tls';

export interface SipAddress {
  address: string;
  port: number;
}

export interface SipDestination extends SipAddress {
  /** Stream transports: prefer this connection while it is open (§18.2.2: responses go back on it). */
  connectionId?: string;
  /**
   * TLS: the name to ask for with SNI (RFC 6066 §3) and to verify the certificate against (RFC 5922
   * §7.2), when the target URI named a host rather than an address.
   */
  serverName?: string;
  /** TLS: `false` accepts a certificate that fails verification (a per-call choice). Default true. */
  tlsVerify?: boolean;
}

/** Where an inbound message came from. */
export interface InboundInfo {
  transport: SipTransport;
  remote: SipAddress;
  local: SipAddress;
  /** Stream transports: the connection it arrived on. */
  connectionId?: string;
}

/** What a transport hands upward. Handlers must not throw (the transport contains it anyway). */
export interface SipTransportHandler {
  onMessage(msg: SipMessage, info: InboundInfo): void;
  /**
   * A request that failed to parse but whose headers were readable (`partial`): the UA core can
   * still answer it with 400 and the parser's reason (RFC 4475 §3.1.2). The transport has already
   * applied §18.2.1 (received/rport) to the partial's top Via where it could.
   */
  onMalformedRequest?(partial: SipRequest, reason: string, info: InboundInfo): void;
}

export interface TransportCounters {
  messagesIn: number;
  messagesOut: number;
  /** Unparseable input: datagrams, framing errors, parse failures. */
  malformed: number;
  /** Input dropped for another reason (stray, too big, handler failure, bad response). */
  dropped: number;
  connectionsOpened: number;
  connectionsClosed: number;
  /** Connections refused because the connection limit was reached. */
  connectionsRefused: number;
}

export function newCounters(): TransportCounters {
  return { messagesIn: 0, messagesOut: 0, malformed: 0, dropped: 0, connectionsOpened: 0, connectionsClosed: 0, connectionsRefused: 0 };
}

export interface SipTransport {
  readonly protocol: SipTransportProtocol;
  /** Reliable transports carry no retransmissions and zero Timers D/I/J/K (§17). */
  readonly reliable: boolean;
  /** The bound address (valid after `listen()` resolved). */
  readonly local: SipAddress;
  readonly counters: TransportCounters;
  setHandler(handler: SipTransportHandler): void;
  /** Send a message (serialized here) or pre-serialized bytes. Rejects on failure; never throws synchronously. */
  send(msg: SipMessage | Buffer, dest: SipDestination): Promise<void>;
  /** Idempotent: every call resolves once the sockets are closed. */
  close(): Promise<void>;
}
