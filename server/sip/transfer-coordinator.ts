/**
 * Following a REFER (RFC 3515) with the links: a remote studio hands its link to another codec.
 * The new link is dialled with the old link's profile, input and output (and, for an attended
 * transfer, the Replaces header the Refer-To carried, RFC 3891 §7.1); each state it passes
 * through is reported to the referrer (NOTIFY with a sipfrag: 180 while it rings, 200 once
 * connected, its failure status otherwise), and once the new link is connected the old one is hung
 * up. One transfer per link at a time (a second REFER gets 491-like refusal through its NOTIFY),
 * and a transfer that has not ended after `timeoutMs` is reported 408 and its new link hung up, so
 * nothing waits for ever.
 *
 * Links come in through `TransferDeps` (plain functions: the links' cheap state events, not their
 * snapshots), so this is testable without SIP or media.
 */
import type { Clock, TimerHandle } from '../util/clock.js';

/** The link a REFER arrived in: what the new link copies. */
export interface TransferLink {
  id: string;
  profile: string;
  input: string;
  output: string;
}

/** Why a link ended, as far as the referrer is told. */
export interface TransferEndReason {
  sipStatus?: number;
  reason: string;
}

export interface TransferDeps {
  clock: Clock;
  /** Dial a new link (with `replaces` as its INVITE's Replaces header); throws (AcipError) when it cannot. */
  dial(req: { to: string; profile: string; input: string; output: string; replaces?: string }): { id: string };
  hangup(linkId: string): void;
  /** Listen to every link's state changes until the returned function is called. */
  onState(fn: (change: { id: string; state: string }) => void): () => void;
  /** Why a link ended (undefined or null when it does not say). */
  endReason(linkId: string): TransferEndReason | null | undefined;
  timeoutMs?: number;
  log?: (msg: string) => void;
}

/** The referrer's side: where the progress goes. */
export interface TransferReport {
  report(status: number, reason?: string): void;
}

/** A transfer left unfinished this long is reported 408 (RFC 3515 §2.4.5 lets the final status be any). */
export const TRANSFER_TIMEOUT_MS = 60_000;

/** What each state of the new link tells the referrer; undefined: nothing to say yet. */
const REPORT_BY_STATE: Readonly<Record<string, { status: number; reason: string } | undefined>> = {
  ringing: { status: 180, reason: 'Ringing' },
  connected: { status: 200, reason: 'OK' },
};

/** States after which the new link will not connect. */
const GIVEN_UP = new Set(['failed', 'ended']);

export class TransferCoordinator {
  /** Old link id → the transfer in progress. */
  private readonly active = new Map<string, { newId: string; off: () => void; timer: TimerHandle }>();

  constructor(private readonly d: TransferDeps) {}

  get size(): number {
    return this.active.size;
  }

  /**
   * Follow a REFER received in `old`'s call: dial `target` (with `replaces` when the Refer-To
   * carried one), report, and hang up `old` on success.
   */
  follow(old: TransferLink, target: string, r: TransferReport, replaces?: string): void {
    if (this.active.has(old.id)) {
      r.report(491, 'Request Pending');
      return;
    }
    let lastStatus = 100;
    let newId: string | undefined;
    const finish = (status: number, reason: string) => {
      const t = this.active.get(old.id);
      if (!t) return;
      this.active.delete(old.id);
      t.off();
      t.timer.cancel();
      r.report(status, reason);
      if (status >= 200 && status < 300) this.d.hangup(old.id);
    };
    // Listening before dialling: the new link's first states come during `dial`.
    const early: { id: string; state: string }[] = [];
    const onState = (c: { id: string; state: string }) => {
      if (newId === undefined) {
        early.push(c);
        return;
      }
      if (c.id !== newId) return;
      if (GIVEN_UP.has(c.state)) {
        const why = this.d.endReason(newId);
        finish(why?.sipStatus ?? 480, why?.reason ?? 'Temporarily Unavailable');
        return;
      }
      const rep = REPORT_BY_STATE[c.state];
      if (!rep || rep.status === lastStatus) return;
      lastStatus = rep.status;
      if (rep.status >= 200) finish(rep.status, rep.reason);
      else r.report(rep.status, rep.reason);
    };
    const off = this.d.onState(onState);
    try {
      newId = this.d.dial({ to: target, profile: old.profile, input: old.input, output: old.output, ...(replaces !== undefined ? { replaces } : {}) }).id;
    } catch (err) {
      off();
      this.d.log?.(`transfer of link ${old.id} to ${target} could not start: ${err instanceof Error ? err.message : String(err)}`);
      r.report(503, 'Service Unavailable');
      return;
    }
    const timer = this.d.clock.setTimer(this.d.timeoutMs ?? TRANSFER_TIMEOUT_MS, () => {
      const t = this.active.get(old.id);
      if (!t) return;
      try {
        this.d.hangup(t.newId);
      } catch {
        // already gone
      }
      finish(408, 'Request Timeout');
    });
    this.active.set(old.id, { newId, off, timer });
    for (const c of early.splice(0)) onState(c);
  }

  /** Stop following every transfer (service stopping); their referrers hear nothing more. */
  close(): void {
    for (const t of this.active.values()) {
      t.off();
      t.timer.cancel();
    }
    this.active.clear();
  }
}
