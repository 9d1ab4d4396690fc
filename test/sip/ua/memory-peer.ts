/**
 * A scripted SIP peer on the in-memory network: it sends requests and responses written as raw
 * text (independent of the UA's serializer) and records what it receives, so a test can play a
 * peer that the UA under test cannot (no timer support, a silent caller, an UPDATE at a bad time).
 */
import type { SipMessage, SipRequest, SipResponse } from '../../../server/sip/grammar/message.js';
import type { MemoryNetwork, MemoryTransport } from '../../helpers/sip-memory-transport.js';

export interface PeerRequestSpec {
  method: string;
  cseq: number;
  branch: string;
  toTag?: string;
  body?: string;
  /** Content-Type of `body` (application/sdp unless given). */
  contentType?: string;
  headers?: string[];
  callId?: string;
}

export class MemoryPeer {
  readonly received: SipMessage[] = [];
  readonly t: MemoryTransport;
  /** Answers the peer gives to requests from the UA; return undefined to stay silent. */
  onRequest: (req: SipRequest) => string | undefined = () => undefined;

  constructor(
    net: MemoryNetwork,
    private readonly uaPort: number,
  ) {
    this.t = net.transport();
    this.t.setHandler({
      onMessage: (m) => {
        this.received.push(m);
        if (m.kind === 'request' && m.method !== 'ACK') {
          const answer = this.onRequest(m);
          if (answer !== undefined) void this.t.send(Buffer.from(answer), { address: '127.0.0.1', port: this.uaPort });
        }
      },
      onMalformedRequest: () => undefined,
    });
  }

  get port(): number {
    return this.t.local.port;
  }

  request(o: PeerRequestSpec): void {
    const body = o.body ?? '';
    const lines = [
      `${o.method} sip:acip@127.0.0.1:${this.uaPort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=${o.branch}`,
      'Max-Forwards: 70',
      `From: <sip:peer@127.0.0.1:${this.port}>;tag=peertag`,
      `To: <sip:acip@127.0.0.1:${this.uaPort}>${o.toTag ? `;tag=${o.toTag}` : ''}`,
      `Call-ID: ${o.callId ?? 'memory-peer-1'}`,
      `CSeq: ${o.cseq} ${o.method}`,
      `Contact: <sip:peer@127.0.0.1:${this.port}>`,
      ...(o.headers ?? []),
      ...(body ? [`Content-Type: ${o.contentType ?? 'application/sdp'}`] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ];
    void this.t.send(Buffer.from(lines.join('\r\n')), { address: '127.0.0.1', port: this.uaPort });
  }

  /** A response to `req` (the UA's request) as raw text, echoing its Via, From, To, Call-ID, CSeq. */
  static answer(req: SipRequest, status: number, reason: string, o: { toTag?: string; headers?: string[]; body?: string } = {}): string {
    const body = o.body ?? '';
    const to = req.headers.get('To') ?? '';
    return [
      `SIP/2.0 ${status} ${reason}`,
      ...req.headers.getAll('Via').map((v) => `Via: ${v}`),
      `From: ${req.headers.get('From')}`,
      `To: ${o.toTag && !/;tag=/.test(to) ? `${to};tag=${o.toTag}` : to}`,
      `Call-ID: ${req.headers.get('Call-ID')}`,
      `CSeq: ${req.headers.get('CSeq')}`,
      ...(o.headers ?? []),
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  }

  requests(method: string): SipRequest[] {
    return this.received.filter((m): m is SipRequest => m.kind === 'request' && m.method === method);
  }

  responses(status: number, method: string): SipResponse[] {
    return this.received.filter((m): m is SipResponse => m.kind === 'response' && m.status === status && (m.headers.get('CSeq') ?? '').endsWith(` ${method}`));
  }

  /** The UA's To tag from its first response to our INVITE. */
  get uaTag(): string | undefined {
    for (const m of this.received) {
      if (m.kind !== 'response') continue;
      const tag = /;tag=([^;\s]+)/.exec(m.headers.get('To') ?? '')?.[1];
      if (tag) return tag;
    }
    return undefined;
  }
}
