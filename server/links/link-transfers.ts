/**
 * Call transfer of links, both ways (RFC 3515, RFC 3891), keyed by each link's own call, never by
 * far-end URIs (two links to one peer stay apart):
 *  - a REFER received in a link's call is followed by `TransferCoordinator`: the target is dialled
 *    with the link's profile (and the Replaces the Refer-To carried: acip is the transferee of an
 *    attended transfer, RFC 3891 §7.1), and the link is hung up once the new one is connected;
 *  - `transfer(id, to)` sends a REFER in link `id`'s call asking its far end to call `to` (blind);
 *  - `attendedTransfer(id, other)` sends a REFER in link `id`'s call whose Refer-To names `other`'s
 *    far end with a Replaces of `other`'s dialog (RFC 3891 §7.1): the two far ends then talk to each
 *    other. Its NOTIFYs are followed: on a 2xx sipfrag both links are hung up (those not ended by
 *    their far ends already); on a failure both are kept; after `timeoutMs` nothing more is awaited.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { AcipError, isAcipError } from '../util/errors.js';
import { parseUri, type SipUri } from '../sip/grammar/uri.js';
import { referToWithReplaces } from '../sip/ua/refer.js';
import type { IncomingRefer, ReferProgress } from '../sip/ua/call-transfer.js';
import { TRANSFER_TIMEOUT_MS, TransferCoordinator } from '../sip/transfer-coordinator.js';
import { validateSipUri, type Phonebook } from '../store/phonebook.js';
import type { LinkManager } from './link-manager.js';
import type { LinkLogger } from './link-logger.js';

/** The answer to a transfer request: the REFER's final status, and the Refer-To sent. */
export interface TransferOutcome {
  accepted: boolean;
  status: number;
  reason: string;
  target: string;
}

export interface LinkTransfersDeps {
  clock: Clock;
  links: Pick<LinkManager, 'get' | 'dial' | 'hangup' | 'callOf' | 'linkOfCall' | 'events'>;
  /** The user agent's REFERs, each with the call it arrived in. */
  ua: { on(event: 'refer', fn: (call: object, r: IncomingRefer) => void): () => void };
  phonebook: Pick<Phonebook, 'get'>;
  log: LinkLogger;
  timeoutMs?: number;
}

const LIVE = (state: string) => state !== 'ended' && state !== 'failed';

export class LinkTransfers {
  private readonly coordinator: TransferCoordinator;
  private readonly offRefer: () => void;
  /** Attended transfers whose NOTIFYs are followed: their clean-ups. */
  private readonly following = new Set<() => void>();

  constructor(private readonly d: LinkTransfersDeps) {
    const { links } = d;
    this.coordinator = new TransferCoordinator({
      clock: d.clock,
      dial: (r) => links.dial({ to: r.to, profile: r.profile, input: r.input, output: r.output }, r.replaces !== undefined ? { headers: [['Replaces', r.replaces]] } : {}),
      hangup: (id) => void links.hangup(id),
      onState: (fn) => links.events.on('state', fn),
      endReason: (id) => links.get(id)?.endReason,
      ...(d.timeoutMs !== undefined ? { timeoutMs: d.timeoutMs } : {}),
      log: (m) => d.log.warn({}, m),
    });
    this.offRefer = d.ua.on('refer', (call, r) => this.onRefer(call, r));
  }

  /** A REFER in some call: followed when the call is a live link's, else declined (RFC 3515 §2.4.5: 603 in the NOTIFY). */
  private onRefer(call: object, r: IncomingRefer): void {
    const id = this.d.links.linkOfCall(call);
    const link = id === undefined ? undefined : this.d.links.get(id);
    const kind = r.replaces !== undefined ? 'attended transfer' : 'transfer';
    this.d.log.info({ link: id, target: r.target }, `REFER in link ${id ?? '?'}: ${kind} to ${r.target}`);
    if (!link || !LIVE(link.state)) r.report(603, 'Decline');
    else this.coordinator.follow(link, r.target, r, r.replaces);
  }

  /** The link's live call, or CONFLICT naming `field`. */
  private liveCall(linkId: string, field: string) {
    const link = this.d.links.get(linkId);
    if (!link) throw new AcipError('NOT_FOUND', `no link ${JSON.stringify(linkId)}`, field);
    const c = LIVE(link.state) ? this.d.links.callOf(linkId) : undefined;
    if (!c || c.phase !== 'confirmed' || !c.call.refer) throw new AcipError('CONFLICT', `link ${linkId} has no call to transfer`, field);
    return { ...c, refer: c.call.refer.bind(c.call) };
  }

  /** Blind transfer: ask link `linkId`'s far end to call `to` (a phonebook entry id or a sip:/sips: URI). */
  async transfer(linkId: string, to: string): Promise<TransferOutcome> {
    if (!this.d.links.get(linkId)) throw new AcipError('NOT_FOUND', `no link ${JSON.stringify(linkId)}`, 'id');
    let target = to.trim();
    if (!/^sips?:/i.test(target)) {
      const e = this.d.phonebook.get(target);
      if (!e) throw new AcipError('NOT_FOUND', `no phonebook entry ${JSON.stringify(target.slice(0, 80))}`, 'to');
      target = e.uri;
    }
    validateSipUri(target, 'to');
    const { refer } = this.liveCall(linkId, 'id');
    const r = await refer(target);
    return { accepted: r.status >= 200 && r.status < 300, status: r.status, reason: r.reason, target };
  }

  /**
   * Attended transfer (RFC 3891 §7.1): link `linkId`'s far end is asked to call link `otherId`'s
   * far end with a Replaces naming `otherId`'s dialog. The Refer-To names the far end's remote
   * target (its Contact: the very device that holds the dialog), not its address of record.
   */
  async attendedTransfer(linkId: string, otherId: string): Promise<TransferOutcome> {
    if (otherId === linkId) throw new AcipError('VALIDATION', 'replacesLink: must name another link than the one transferred', 'replacesLink');
    if (!this.d.links.get(linkId)) throw new AcipError('NOT_FOUND', `no link ${JSON.stringify(linkId)}`, 'id');
    const other = this.liveCall(otherId, 'replacesLink');
    const { refer, call } = this.liveCall(linkId, 'id');
    const uri = targetUri(other.remoteTarget) ?? (other.remoteUri !== undefined ? targetUri(other.remoteUri) : undefined);
    if (!uri) throw new AcipError('CONFLICT', `link ${otherId}: its far end has no SIP URI to refer to`, 'replacesLink');
    const target = referToWithReplaces(uri, other);
    // Subscribed before the REFER goes: its first NOTIFY may come before the 202.
    const stop = this.followNotifies(call, [linkId, otherId]);
    const r = await refer(target);
    const accepted = r.status >= 200 && r.status < 300;
    if (!accepted) stop();
    this.d.log.info({ link: linkId, replaces: otherId, status: r.status }, `attended transfer of link ${linkId} to link ${otherId}'s far end: REFER ${r.status} ${r.reason}`);
    return { accepted, status: r.status, reason: r.reason, target };
  }

  /** Follow the NOTIFYs of a REFER we sent: a final 2xx hangs up `linkIds`; any final status, or the timeout, stops. */
  private followNotifies(call: { on(event: 'refer-progress', fn: (p: ReferProgress) => void): () => void }, linkIds: string[]): () => void {
    let timer: TimerHandle | undefined;
    const stop = () => {
      off();
      timer?.cancel();
      this.following.delete(stop);
    };
    const off = call.on('refer-progress', (p) => {
      if (!p.final) return;
      stop();
      if (p.status < 200 || p.status >= 300) {
        this.d.log.warn({ links: linkIds }, `attended transfer failed at the far end: ${p.status} ${p.reason}; both links kept`);
        return;
      }
      for (const id of linkIds) this.hangupIfLive(id);
    });
    timer = this.d.clock.setTimer(this.d.timeoutMs ?? TRANSFER_TIMEOUT_MS, stop);
    this.following.add(stop);
    return stop;
  }

  private hangupIfLive(id: string): void {
    const l = this.d.links.get(id);
    if (!l || !LIVE(l.state) || l.state === 'ending') return;
    try {
      this.d.links.hangup(id);
    } catch (err) {
      if (!isAcipError(err)) throw err;
    }
  }

  /** Stop following transfers and REFERs (service stopping). */
  close(): void {
    this.offRefer();
    this.coordinator.close();
    for (const stop of [...this.following]) stop();
  }
}

function targetUri(text: string): SipUri | undefined {
  try {
    const u = parseUri(text.trim().replace(/^<|>$/g, ''));
    return u.scheme === 'sip' || u.scheme === 'sips' ? { ...u, headers: new Map() } : undefined;
  } catch {
    return undefined;
  }
}
