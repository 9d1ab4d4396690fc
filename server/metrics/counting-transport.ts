/**
 * A SipTransport decorator that counts SIP requests by method and responses by status code, in and
 * out, for `acip_sip_requests_total` / `acip_sip_responses_total`. The SIP layers stay free of metrics.
 */
import type { SipMessage } from '../sip/grammar/message.js';
import type { SipTransport, SipTransportHandler, SipDestination } from '../sip/transport/sip-transport.js';
import type { SipMetrics } from './link-collectors.js';
import type { MessageDirection } from './sip-tally.js';

/** Methods are network input: anything unusual is counted under one label, so a flood can't mint series. */
const KNOWN_METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'UPDATE', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH']);

/** Count one message in the tallies the two SIP counters report (see sip-tally.ts). */
function count(m: SipMetrics, msg: SipMessage, direction: MessageDirection): void {
  if (msg.kind === 'request') m.requestTally.add(direction, KNOWN_METHODS.has(msg.method) ? msg.method : 'other');
  else m.responseTally.add(direction, STATUS_LABELS[msg.status - 100] ?? 'other');
}

/** '100'..'699', made once; any other status (or a non-integer) reads undefined and counts as 'other'. */
const STATUS_LABELS: readonly string[] = Array.from({ length: 600 }, (_, i) => String(i + 100));

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
