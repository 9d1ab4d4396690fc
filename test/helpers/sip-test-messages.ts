/**
 * Hand-built SIP messages for layer tests that must not depend on the parser,
 * and a fake transaction channel that records what was sent and when.
 */
import type { FakeClock } from '../../server/util/clock.js';
import { SipHeaders, type SipMessage, type SipRequest, type SipResponse } from '../../server/sip/grammar/message.js';
import type { TransactionChannel } from '../../server/sip/transaction/transaction.js';

export interface TestRequestOpts {
  branch?: string;
  sentBy?: string;
  cseq?: number;
  cseqMethod?: string;
  callId?: string;
  fromTag?: string;
  toTag?: string;
  uri?: string;
}

export function makeRequest(method: string, o: TestRequestOpts = {}): SipRequest {
  const h = new SipHeaders();
  h.append('Via', `SIP/2.0/UDP ${o.sentBy ?? '127.0.0.1:5070'};branch=${o.branch ?? 'z9hG4bKtest1'}`);
  h.append('Max-Forwards', '70');
  h.append('From', `<sip:alice@127.0.0.1>;tag=${o.fromTag ?? 'fromtag1'}`);
  h.append('To', `<sip:bob@127.0.0.1>${o.toTag ? `;tag=${o.toTag}` : ''}`);
  h.append('Call-ID', o.callId ?? 'call-1@test');
  h.append('CSeq', `${o.cseq ?? 1} ${o.cseqMethod ?? method}`);
  h.append('Content-Length', '0');
  return { kind: 'request', method, uri: o.uri ?? 'sip:bob@127.0.0.1', version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}

export function makeResponse(req: SipRequest, status: number, reason = 'Reason', toTag?: string): SipResponse {
  const h = new SipHeaders();
  for (const v of req.headers.getAll('Via')) h.append('Via', v);
  for (const n of ['From', 'Call-ID', 'CSeq']) {
    const v = req.headers.get(n);
    if (v !== undefined) h.append(n, v);
  }
  const to = req.headers.get('To') ?? '';
  h.append('To', toTag && !/;tag=/.test(to) ? `${to};tag=${toTag}` : to);
  h.append('Content-Length', '0');
  return { kind: 'response', version: 'SIP/2.0', status, reason, headers: h, body: Buffer.alloc(0) };
}

export interface SentRecord {
  at: number;
  msg: SipMessage;
}

export class FakeChannel implements TransactionChannel {
  sent: SentRecord[] = [];
  fail = false;
  constructor(
    private readonly clock: FakeClock,
    readonly reliable = false,
  ) {}
  send(msg: SipMessage): void {
    if (this.fail) throw new Error('fake transport failure');
    this.sent.push({ at: this.clock.now(), msg });
  }
  /** Times at which messages matching `pred` were sent. */
  times(pred: (m: SipMessage) => boolean = () => true): number[] {
    return this.sent.filter((s) => pred(s.msg)).map((s) => s.at);
  }
}

export const isRequest = (method: string) => (m: SipMessage) => m.kind === 'request' && m.method === method;
export const isStatus = (status: number) => (m: SipMessage) => m.kind === 'response' && m.status === status;
