/**
 * Call transfer inside a call's dialog (RFC 3515): a REFER we received becomes an `IncomingRefer`
 * the layer above follows (it reports the referred INVITE's progress, which goes back as NOTIFYs
 * of the implicit `refer` subscription, message/sipfrag bodies); a REFER we send asks the far end
 * to call someone else, and the NOTIFYs it sends back are reported as `ReferProgress`.
 *
 * A Refer-To carrying Replaces (attended transfer, RFC 3891 §7.1) is followed like any other, with
 * the Replaces handed up for the INVITE to the target.
 *
 * Only the I/O lives here; what to answer and what each NOTIFY says is `refer.ts`'s.
 */
import type { SipRequest, SipResponse } from '../grammar/message.js';
import { createResponse } from '../grammar/response.js';
import { formatUri } from '../grammar/uri.js';
import { parseEvent, parseSubscriptionState } from '../grammar/event-headers.js';
import { sipfragStatus } from '../grammar/sipfrag.js';
import { formatReplaces } from '../grammar/refer-headers.js';
import type { Dialog } from '../dialog/dialog.js';
import type { ServerTransaction } from '../transaction/transaction-layer.js';
import { cseqOf } from '../transaction/message-fields.js';
import { checkReferTo, referNotify, REFER_EVENT } from './refer.js';
import type { SipRoute, UaCore } from './ua-core.js';

/** How long the implicit subscription of a REFER lasts at most, s (RFC 3515 §2.4.4 leaves it to the notifier). */
export const REFER_SUBSCRIPTION_S = 60;

/** A REFER received in a call, answered 202: follow `target`, and report how it goes. */
export interface IncomingRefer {
  /** The Refer-To URI (sip: or sips:), without URI headers. */
  target: string;
  /**
   * Attended transfer (RFC 3891 §7.1): the Replaces header value the Refer-To URI carried, to send
   * in the INVITE to `target` so that it takes over the target's call with the referrer.
   */
  replaces?: string;
  /** The referred INVITE reached `status` (100 is sent already): NOTIFY it; a final status ends the subscription. */
  report(status: number, reason?: string): void;
}

/** A NOTIFY about a REFER we sent: how the far end's call to the target goes. */
export interface ReferProgress {
  status: number;
  reason: string;
  /** The last one (the subscription ended). */
  final: boolean;
}

/** What the transfer code needs of the call. */
export interface TransferCallHost {
  readonly core: UaCore;
  dialog(): Dialog | undefined;
  ended(): boolean;
  withDialogRoute(dialog: Dialog, send: (route: SipRoute) => void, onError: (err: unknown) => void): void;
  respond(tx: ServerTransaction, res: SipResponse): void;
  emitRefer(refer: IncomingRefer): void;
  emitReferProgress(p: ReferProgress): void;
}

/** RFC 3515 §2.4.2: check the REFER, answer 202 (or 400), NOTIFY 100 at once, hand the target up. */
export function onReferRequest(host: TransferCallHost, req: SipRequest, tx: ServerTransaction): void {
  const check = checkReferTo(req.headers.getAll('Refer-To'));
  if (!check.ok) {
    host.respond(tx, createResponse(req, check.status, check.reason));
    return;
  }
  host.respond(tx, createResponse(req, 202, 'Accepted'));
  const referCSeq = cseqOf(req)?.seq ?? 0;
  let done = false;
  const report = (status: number, reason?: string) => {
    if (done || host.ended()) return;
    if (status >= 200) done = true;
    sendNotify(host, referNotify(referCSeq, status, reason, REFER_SUBSCRIPTION_S));
  };
  report(100, 'Trying');
  // RFC 3891 §7.1: an attended transfer: the INVITE to the target carries this Replaces header.
  const replaces = check.replaces ? { replaces: formatReplaces(check.replaces) } : {};
  host.emitRefer({ target: formatUri({ ...check.target.uri, headers: new Map() }), ...replaces, report });
}

function sendNotify(host: TransferCallHost, n: ReturnType<typeof referNotify>): void {
  const dialog = host.dialog();
  if (!dialog) return;
  host.withDialogRoute(
    dialog,
    (route) => {
      try {
        const req = dialog.createRequest('NOTIFY', {
          via: host.core.via(route.transport),
          userAgent: host.core.userAgentName,
          headers: [
            ['Event', n.event],
            ['Subscription-State', n.subscriptionState],
            ['Contact', dialog.localContact],
          ],
          body: n.body,
          contentType: n.contentType,
        });
        host.core.sendRequest(req, route, { onResponse: () => {}, onTimeout: () => {}, onTransportError: () => {} });
      } catch (err) {
        host.core.logger.warn({ err: String(err) }, 'sip: refer NOTIFY could not be sent');
      }
    },
    (err) => host.core.logger.warn({ err: String(err) }, 'sip: refer NOTIFY has no route'),
  );
}

/** A NOTIFY in a call's dialog: the progress of a REFER we sent (Event: refer), answered 200; anything else 489. */
export function onCallNotify(host: TransferCallHost, req: SipRequest, tx: ServerTransaction): void {
  let pkg = '';
  try {
    pkg = parseEvent(req.headers.get('Event') ?? '').package;
  } catch {
    host.respond(tx, createResponse(req, 400, 'Bad Event header'));
    return;
  }
  if (pkg !== REFER_EVENT) {
    host.respond(tx, createResponse(req, 489, 'Bad Event', { headers: [['Allow-Events', REFER_EVENT]] }));
    return;
  }
  host.respond(tx, createResponse(req, 200, 'OK'));
  let final = false;
  try {
    final = parseSubscriptionState(req.headers.get('Subscription-State') ?? '').state === 'terminated';
  } catch {
    // A bad Subscription-State still carries the progress.
  }
  if (req.body.length === 0) return;
  try {
    const s = sipfragStatus(req.body);
    host.emitReferProgress({ status: s.status, reason: s.reason, final: final || s.status >= 200 });
  } catch {
    // Not a status sipfrag: nothing to report.
  }
}

/**
 * Send a REFER in the call's dialog (RFC 3515 §2.4.1) asking the far end to call `target`.
 * Resolves with the REFER's final status (202: it will try; 408 on timeout, 503 when unsent).
 */
export function sendRefer(host: TransferCallHost, target: string): Promise<{ status: number; reason: string }> {
  const dialog = host.dialog();
  if (!dialog || host.ended() || dialog.state !== 'confirmed') return Promise.resolve({ status: 481, reason: 'No confirmed dialog' });
  return new Promise((resolve) => {
    host.withDialogRoute(
      dialog,
      (route) => {
        try {
          const req = dialog.createRequest('REFER', {
            via: host.core.via(route.transport),
            userAgent: host.core.userAgentName,
            headers: [
              ['Refer-To', `<${target}>`],
              ['Referred-By', dialog.localHeader.replace(/;tag=[^;]*/i, '')],
              ['Contact', dialog.localContact],
            ],
          });
          host.core.sendRequest(req, route, {
            onResponse: (res) => {
              if (res.status >= 200) resolve({ status: res.status, reason: res.reason });
            },
            onTimeout: () => resolve({ status: 408, reason: 'Request Timeout' }),
            onTransportError: () => resolve({ status: 503, reason: 'Service Unavailable (transport error)' }),
          });
        } catch (err) {
          resolve({ status: 503, reason: `Service Unavailable (${err instanceof Error ? err.message : String(err)})` });
        }
      },
      (err) => resolve({ status: 503, reason: `Service Unavailable (${err instanceof Error ? err.message : String(err)})` }),
    );
  });
}
