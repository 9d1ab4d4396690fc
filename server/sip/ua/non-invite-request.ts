/**
 * Sending a non-INVITE request (MESSAGE, SUBSCRIBE, PUBLISH) and answering one digest challenge
 * (RFC 3261 §22.2, §22.3): a 401 or 407 is answered by sending the request once more with
 * credentials, a new branch and the next CSeq (§8.1.3.5: same Call-ID, tags and body); a second
 * challenge to the resent request is its final answer, handed up like any other failure.
 *
 * The one place MESSAGE, SUBSCRIBE and PUBLISH share this logic. A `DigestClient` may outlive
 * one request (a publication's refreshes, a subscription's refreshes): once it holds a challenge,
 * every later request is sent with credentials at once (nonce reuse with nc + 1, RFC 7616 §3.4),
 * and a challenge to those is answered once again.
 */
import { SipHeaders, type SipRequest, type SipResponse } from '../grammar/message.js';
import { parseCSeq } from '../grammar/headers.js';
import type { ClientTransactionUser } from '../transaction/transaction.js';
import { DigestClient, type DigestCredentials } from './digest-client.js';
import type { SipRoute, UaCore } from './ua-core.js';

/** Statuses that carry a digest challenge (§22.2: 401 from a UAS or registrar, §22.3: 407 from a proxy). */
const CHALLENGE_STATUSES: ReadonlySet<number> = new Set([401, 407]);

export interface NonInviteOptions {
  /** Who answers a challenge; absent: a 401/407 is the final answer. */
  digest?: DigestClient | undefined;
  /**
   * CSeq number of the resent request. Default: the first one's + 1 (§8.1.3.5); a request inside
   * a dialog takes the dialog's next local number (§12.2.1.1), so later requests keep counting up.
   */
  nextCSeq?: () => number;
  /** The request was resent with credentials (a dialog made by its 2xx takes its CSeq). */
  onResend?: (req: SipRequest) => void;
}

/** A digest client for `creds`, or none. */
export function digestFor(creds: DigestCredentials | undefined): DigestClient | undefined {
  return creds === undefined ? undefined : new DigestClient(creds);
}

/** `req` again with a fresh top Via, CSeq `seq` and no credentials (they are added afresh). */
export function resendable(req: SipRequest, via: string, seq: number): SipRequest {
  const h = new SipHeaders();
  let viaDone = false;
  for (const e of req.headers.entries()) {
    const n = e.name.toLowerCase();
    if (n === 'authorization' || n === 'proxy-authorization') continue;
    if (n === 'via') {
      // Only our own top Via is replaced; a request we originate carries no other.
      if (!viaDone) h.append('Via', via);
      viaDone = true;
      continue;
    }
    if (n === 'cseq') {
      h.append('CSeq', `${seq} ${req.method}`);
      continue;
    }
    h.append(e.name, e.value);
  }
  return { ...req, headers: h };
}

function cseqOf(req: SipRequest): number {
  try {
    return parseCSeq(req.headers.get('CSeq') ?? '').seq;
  } catch {
    // Our own request: its CSeq is always readable.
    return 0;
  }
}

/**
 * Send `req` over `route`. Every response, timeout and transport error goes to `user`, except a
 * 401/407 that `opts.digest` can answer the first time: that one is answered by the resent
 * request, whose outcome `user` hears instead. Throws like `UaCore.sendRequest` (UA closed) for
 * the first send; a resend that cannot go out is reported as a transport error.
 */
export function sendNonInvite(
  core: Pick<UaCore, 'sendRequest' | 'via'>,
  req: SipRequest,
  route: SipRoute,
  user: ClientTransactionUser,
  opts: NonInviteOptions = {},
): void {
  const digest = opts.digest;
  if (digest?.hasChallenge) digest.authorize(req);
  let retried = false;
  const send = (r: SipRequest) =>
    core.sendRequest(r, route, {
      onResponse: (res: SipResponse) => {
        if (CHALLENGE_STATUSES.has(res.status) && !retried && digest && digest.onChallenge(res) === 'retry') {
          retried = true;
          const again = resendable(r, core.via(route.transport), opts.nextCSeq?.() ?? cseqOf(r) + 1);
          digest.authorize(again);
          opts.onResend?.(again);
          try {
            send(again);
          } catch {
            user.onTransportError(new Error('the authenticated request could not be sent'));
          }
          return;
        }
        user.onResponse(res);
      },
      onTimeout: () => user.onTimeout(),
      onTransportError: (err) => user.onTransportError(err),
    });
  send(req);
}
