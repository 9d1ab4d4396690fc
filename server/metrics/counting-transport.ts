/**
 * A SipTransport decorator that counts SIP requests by method and responses by status code, in and
 * out, for `acip_sip_requests_total` / `acip_sip_responses_total`. The SIP layers stay free of metrics.
 */
import type { SipMessage } from '../sip/grammar/message.js';
import type { SipTransport, SipTransportHandler, SipDestination } from '../sip/transport/sip-transport.js';
import type { SipMetrics } from './link-collectors.js';

/** Methods are network input: anything unusual is counted under one label, so a flood can't mint series. */
const KNOWN_METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'UPDATE', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH']);

function count(m: SipMetrics, msg: SipMessage, direction: 'in' | 'out'): void {
  if (msg.kind === 'request') m.requests.inc({ method: KNOWN_METHODS.has(msg.method) ? msg.method : 'other', direction });
  else m.responses.inc({ code: msg.status >= 100 && msg.status <= 699 ? String(msg.status) : 'other', direction });
}

export function countingTransport(inner: SipTransport, metrics: SipMetrics): SipTransport {
  return {
    get protocol() {
      return inner.protocol;
    },
    get reliable() {
      return inner.reliable;
    },
    get local() {
      return inner.local;
    },
    get counters() {
      return inner.counters;
    },
    setHandler(handler: SipTransportHandler) {
      const self = this as SipTransport;
      inner.setHandler({
        onMessage: (msg, info) => {
          count(metrics, msg, 'in');
          handler.onMessage(msg, { ...info, transport: self });
        },
        ...(handler.onMalformedRequest ? { onMalformedRequest: (p, r, info) => handler.onMalformedRequest!(p, r, { ...info, transport: self }) } : {}),
      });
    },
    send(msg: SipMessage | Buffer, dest: SipDestination) {
      if (!Buffer.isBuffer(msg)) count(metrics, msg, 'out');
      return inner.send(msg, dest);
    },
    close() {
      return inner.close();
    },
  };
}
