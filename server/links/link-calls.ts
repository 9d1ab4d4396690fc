/**
 * Which SIP call each link holds, so that glue code (transfer) and attended transfer (RFC 3891)
 * can go from a link to its call and dialog identifiers and back, without matching far-end URIs
 * (ambiguous with two links to one peer). The manager hands every link a `CallPort` that records
 * the calls the link places, and records the incoming calls it gives links itself.
 */
import type { DialogIdentity } from '../sip/ua/dialog-call.js';
import type { CallPort, DialOptions, LinkCall, LinkIncomingCall, LinkOutgoingCall } from './call-port.js';

/** What a call may offer beyond `LinkCall`: the user agent's calls have all of it, test fakes may not. */
export interface DialogAwareCall {
  /** RFC 3891: the dialog's identifiers and phase (undefined before the dialog exists). */
  readonly dialogIdentity?: DialogIdentity | undefined;
  /** RFC 3515: REFER in this call's dialog; resolves with the REFER's final status. */
  refer?(target: string): Promise<{ status: number; reason: string }>;
}

/** A link's call as the manager tracks it; `bye` may say why (the call's 'ended' reason). */
export type TrackedCall = Omit<LinkCall, 'bye'> & DialogAwareCall & { bye(reason?: string): Promise<void> };

/** An incoming call that may take over another (RFC 3891 §3: it carried a Replaces the core accepted). */
export type ReplacingIncomingCall = LinkIncomingCall & DialogAwareCall & { readonly replaces?: { callId: string; toTag: string; fromTag: string } | undefined };

/** The user agent as the manager needs it to place a call that carries extra headers (Replaces). */
export interface HeaderInviteUa {
  invite(target: string, opts: DialOptions & { sdp: string; headers?: [string, string][] }): LinkOutgoingCall;
  on(event: 'incomingCall', fn: (call: ReplacingIncomingCall) => void): () => void;
}

/** A link's live call and its dialog, as `LinkManager.callOf` gives it. */
export interface LinkCallInfo extends DialogIdentity {
  call: TrackedCall;
}

export class LinkCalls {
  private readonly byLink = new Map<string, TrackedCall>();

  /** `call` is now `linkId`'s (a redial replaces the previous one). */
  set(linkId: string, call: TrackedCall): void {
    this.byLink.set(linkId, call);
  }

  delete(linkId: string): void {
    this.byLink.delete(linkId);
  }

  get size(): number {
    return this.byLink.size;
  }

  /** The link's call while it is live and has a dialog; undefined otherwise. */
  callOf(linkId: string): LinkCallInfo | undefined {
    const call = this.byLink.get(linkId);
    if (!call || call.ended) return undefined;
    const id = call.dialogIdentity;
    if (!id || id.phase === 'terminated') return undefined;
    return { ...id, call };
  }

  /** The link whose current call is `call` (the object the user agent emits events for). */
  linkOfCall(call: object): string | undefined {
    for (const [id, c] of this.byLink) if (c === call) return id;
    return undefined;
  }

  /** The link whose live call has this dialog (Call-ID, our tag, the peer's tag). */
  linkOfDialog(ids: { callId: string; localTag: string; remoteTag: string }): string | undefined {
    for (const id of this.byLink.keys()) {
      const c = this.callOf(id);
      if (c && c.callId === ids.callId && c.localTag === ids.localTag && c.remoteTag === ids.remoteTag) return id;
    }
    return undefined;
  }

  /**
   * The `CallPort` one link dials through: the user agent's, recording each call it places as the
   * link's. `headers` go in the first INVITE only (a Replaces names one dialog, once).
   */
  portFor(ua: CallPort & HeaderInviteUa, linkId: () => string, headers?: [string, string][]): CallPort {
    let once = headers;
    return {
      get userAgentName() {
        return ua.userAgentName;
      },
      invite: (target, opts) => {
        const extra = once;
        once = undefined;
        const call = ua.invite(target, extra ? { ...opts, headers: extra } : opts);
        this.set(linkId(), call);
        return call;
      },
    };
  }
}
