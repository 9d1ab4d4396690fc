/**
 * Pure helpers for call transfer: checking a REFER's Refer-To (RFC 3515 §2.4.1), the NOTIFYs that
 * report the referred request's progress as message/sipfrag (RFC 3515 §2.4.4–2.4.7, RFC 3420), and
 * matching an INVITE's Replaces header to a dialog (RFC 3891 §3). No I/O: the UA core applies the
 * verdicts.
 */
import { formatReplaces, parseReferTo, parseReplaces, type Replaces } from '../grammar/refer-headers.js';
import { formatSubscriptionState } from '../grammar/event-headers.js';
import { SipParseError } from '../grammar/parse-error.js';
import { buildStatusSipfrag, SIPFRAG_CONTENT_TYPE } from '../grammar/sipfrag.js';
import { reasonPhrase } from '../grammar/response.js';
import { formatUri, type NameAddr, type SipUri } from '../grammar/uri.js';

export const REFER_EVENT = 'refer';

export type ReferCheck =
  /** 202 Accepted (RFC 3515 §2.4.2): send the referred request to `target` (with `replaces` when it carried one). */
  | { ok: true; target: NameAddr; replaces?: Replaces }
  | { ok: false; status: 400; reason: string };

/**
 * RFC 3515 §2.4.1: a REFER carries exactly one Refer-To; acip can only follow sip:/sips: targets
 * (a tel: or http: URI is refused with 400, which is acip's choice: it has nothing to reach them with).
 */
export function checkReferTo(values: readonly string[]): ReferCheck {
  if (values.length === 0) return { ok: false, status: 400, reason: 'Missing Refer-To header' };
  if (values.length > 1) return { ok: false, status: 400, reason: 'More than one Refer-To header' };
  let target: NameAddr;
  try {
    target = parseReferTo(values[0]!);
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    if (e.code === 'SIP_UNSUPPORTED_URI_SCHEME') return { ok: false, status: 400, reason: 'Refer-To must be a SIP or SIPS URI' };
    return { ok: false, status: 400, reason: e.message };
  }
  if (target.uri.scheme !== 'sip' && target.uri.scheme !== 'sips') return { ok: false, status: 400, reason: 'Refer-To must be a SIP or SIPS URI' };
  // RFC 3891 §7.1: the Replaces to put in the triggered INVITE travels as a header of the Refer-To URI.
  let replacesText: string | undefined;
  for (const [name, value] of target.uri.headers) if (name.toLowerCase() === 'replaces') replacesText = value;
  if (replacesText === undefined) return { ok: true, target };
  try {
    return { ok: true, target, replaces: parseReplaces(replacesText) };
  } catch (e) {
    if (e instanceof SipParseError) return { ok: false, status: 400, reason: `Refer-To: ${e.message}` };
    throw e;
  }
}

export interface ReferNotify {
  /** Event header value: `refer;id=<REFER CSeq>` (RFC 3515 §2.4.6 tells several REFERs in a dialog apart). */
  event: string;
  subscriptionState: string;
  contentType: string;
  body: string;
  /** The last NOTIFY of the implicit subscription. */
  terminal: boolean;
}

/**
 * The NOTIFY for the referred request reaching `status`: 1xx keep the implicit subscription active
 * (RFC 3515 §2.4.4: the first NOTIFY says 100 Trying at once), a final status ends it
 * (§2.4.7: `terminated;reason=noresource`).
 */
export function referNotify(referCSeq: number, status: number, reason: string | undefined, expiresS: number): ReferNotify {
  const terminal = status >= 200;
  return {
    event: `${REFER_EVENT};id=${referCSeq}`,
    subscriptionState: terminal ? formatSubscriptionState({ state: 'terminated', reason: 'noresource' }) : formatSubscriptionState({ state: 'active', expires: expiresS }),
    contentType: SIPFRAG_CONTENT_TYPE,
    body: buildStatusSipfrag(status, reason ?? reasonPhrase(status)),
    terminal,
  };
}

/** The referred request timed out or could not be sent: what the final NOTIFY reports (RFC 3515 §2.4.5 allows any final status). */
export const REFER_FAILURE_STATUS = { timeout: 408, unreachable: 503 } as const;

export type DialogPhase = 'early' | 'confirmed' | 'terminated';

export interface ReplaceableDialog {
  callId: string;
  localTag: string;
  remoteTag: string;
  phase: DialogPhase;
  /** This UA sent the INVITE that made the dialog. */
  locallyInitiated: boolean;
}

export type ReplacesMatch<D> = { ok: true; dialog: D } | { ok: false; status: 481 | 486 | 603; reason: string };

/**
 * RFC 3891 §3: "the to-tag parameter is compared to the local tag, and the from-tag parameter is
 * compared to the remote tag". No match, or an early dialog this UA did not initiate → 481;
 * early-only against a confirmed dialog → 486; a dialog already ended → 603.
 */
export function matchReplaces<D extends ReplaceableDialog>(replaces: Replaces, dialogs: Iterable<D>): ReplacesMatch<D> {
  for (const d of dialogs) {
    if (d.callId !== replaces.callId || d.localTag !== replaces.toTag || d.remoteTag !== replaces.fromTag) continue;
    if (d.phase === 'terminated') return { ok: false, status: 603, reason: 'Decline' };
    if (d.phase === 'early' && !d.locallyInitiated) return { ok: false, status: 481, reason: 'Call/Transaction Does Not Exist' };
    if (d.phase === 'confirmed' && replaces.earlyOnly) return { ok: false, status: 486, reason: 'Busy Here' };
    return { ok: true, dialog: d };
  }
  return { ok: false, status: 481, reason: 'Call/Transaction Does Not Exist' };
}

/** What an INVITE's Replaces header asks of this UA (RFC 3891 §3). */
export type InviteReplacesCheck =
  /** No Replaces: an ordinary call. */
  | { kind: 'none' }
  /** It names a dialog this UA may hand over: the new call takes its place. */
  | { kind: 'replace'; replaces: Replaces }
  | { kind: 'refuse'; status: 400 | 481 | 486 | 603; reason: string };

/**
 * RFC 3891 §3 for a new INVITE: more than one Replaces, or one that does not parse → 400 (with
 * what is wrong); else the dialog it names is looked up by (Call-ID, to-tag as our tag, from-tag
 * as theirs) and judged by `matchReplaces`.
 */
export function checkInviteReplaces(values: readonly string[], lookup: (ids: { callId: string; localTag: string; remoteTag: string }) => ReplaceableDialog | undefined): InviteReplacesCheck {
  if (values.length === 0) return { kind: 'none' };
  if (values.length > 1) return { kind: 'refuse', status: 400, reason: 'Bad Request: more than one Replaces header' };
  let replaces: Replaces;
  try {
    replaces = parseReplaces(values[0]!);
  } catch (e) {
    if (e instanceof SipParseError) return { kind: 'refuse', status: 400, reason: e.message };
    throw e;
  }
  const found = lookup({ callId: replaces.callId, localTag: replaces.toTag, remoteTag: replaces.fromTag });
  const verdict = matchReplaces(replaces, found ? [found] : []);
  return verdict.ok ? { kind: 'replace', replaces } : { kind: 'refuse', status: verdict.status, reason: verdict.reason };
}

/**
 * The Refer-To URI of an attended transfer (RFC 3891 §7.1, RFC 3515 §2.1): the target's URI with
 * the Replaces header naming the target's dialog with us as the target sees it (its local tag is
 * our remote tag, so to-tag = our remote tag, from-tag = our local tag). `formatUri` escapes the
 * header value (';' '=' '@' become %3B %3D %40).
 */
export function referToWithReplaces(target: SipUri, dialog: Pick<ReplaceableDialog, 'callId' | 'localTag' | 'remoteTag'>): string {
  const value = formatReplaces({ callId: dialog.callId, toTag: dialog.remoteTag, fromTag: dialog.localTag, earlyOnly: false });
  return formatUri({ ...target, headers: new Map([['Replaces', value]]) });
}
