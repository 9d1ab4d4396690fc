/**
 * RFC 3261 timer values, all derived from T1, T2 and T4 in this one place
 * (RFC 3261 §17 and Table 4 in Appendix A; RFC 6026 §8.11 for Timers L and M).
 *
 * Nothing else in the SIP stack writes a literal timer value: the transactions and the
 * UA core ask this module.
 */

export interface SipTimerBase {
  /** RTT estimate, default 500 ms (§17.1.1.1). */
  t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s. */
  t2: number;
  /** Maximum duration a message remains in the network, default 5 s. */
  t4: number;
}

export const DEFAULT_TIMER_BASE: Readonly<SipTimerBase> = Object.freeze({ t1: 500, t2: 4000, t4: 5000 });

/**
 * §17.2.1: a UAS may skip the 100 (Trying) to an INVITE only when its TU answers within 200 ms. The
 * server transaction holds the 100 back for at most half that (see `trying`).
 */
const TRYING_BOUND_MS = 200;

/** Lower bound of Timer D over unreliable transports (§17.1.1.2: "at least 32 seconds"). */
const TIMER_D_MIN_UDP_MS = 32_000;

export class SipTimers {
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;

  constructor(base: Partial<SipTimerBase> = {}) {
    this.t1 = base.t1 ?? DEFAULT_TIMER_BASE.t1;
    this.t2 = base.t2 ?? DEFAULT_TIMER_BASE.t2;
    this.t4 = base.t4 ?? DEFAULT_TIMER_BASE.t4;
  }

  /** Timer A initial value: T1 (§17.1.1.2). */
  get aInitial(): number {
    return this.t1;
  }
  /** Timer A doubles without a cap (§17.1.1.2: "the timer is reset with a value of 2*T1 ... 4*T1 ..."). */
  nextA(previous: number): number {
    return previous * 2;
  }
  /** Timer B: INVITE transaction timeout, 64·T1. */
  get b(): number {
    return 64 * this.t1;
  }
  /** Timer D: wait time for response retransmits; ≥ 32 s for UDP, 0 for reliable transports. */
  d(reliable: boolean): number {
    return reliable ? 0 : Math.max(TIMER_D_MIN_UDP_MS, 64 * this.t1);
  }
  /** Timer E initial value: T1 (§17.1.2.2). */
  get eInitial(): number {
    return this.t1;
  }
  /** Timer E doubles up to T2 in Trying (§17.1.2.2: MIN(2*previous, T2)). */
  nextE(previous: number): number {
    return Math.min(previous * 2, this.t2);
  }
  /** Timer E in Proceeding is reset to T2 (§17.1.2.2). */
  get eProceeding(): number {
    return this.t2;
  }
  /** Timer F: non-INVITE transaction timeout, 64·T1. */
  get f(): number {
    return 64 * this.t1;
  }
  /** Timer G initial value: T1 (§17.2.1). */
  get gInitial(): number {
    return this.t1;
  }
  /** Timer G doubles up to T2 (§17.2.1: MIN(2*T1, T2), ...). */
  nextG(previous: number): number {
    return Math.min(previous * 2, this.t2);
  }
  /**
   * How long an INVITE server transaction holds its 100 (Trying) back, waiting for the TU's own
   * response (§17.2.1): half the 200 ms within which a TU's answer makes the 100 optional, and at most
   * T1/5, well before the caller's first retransmission (Timer A, T1).
   */
  get trying(): number {
    return Math.min(TRYING_BOUND_MS / 2, this.t1 / 5);
  }
  /** Timer H: wait time for ACK receipt, 64·T1. */
  get h(): number {
    return 64 * this.t1;
  }
  /** Timer I: wait time for ACK retransmits; T4 for UDP, 0 for reliable. */
  i(reliable: boolean): number {
    return reliable ? 0 : this.t4;
  }
  /** Timer J: wait time for non-INVITE request retransmits; 64·T1 for UDP, 0 for reliable. */
  j(reliable: boolean): number {
    return reliable ? 0 : 64 * this.t1;
  }
  /** Timer K: wait time for response retransmits; T4 for UDP, 0 for reliable. */
  k(reliable: boolean): number {
    return reliable ? 0 : this.t4;
  }
  /** Timer L (RFC 6026 §8.11): INVITE server transaction Accepted state, 64·T1. */
  get l(): number {
    return 64 * this.t1;
  }
  /** Timer M (RFC 6026 §8.11): INVITE client transaction Accepted state, 64·T1. */
  get m(): number {
    return 64 * this.t1;
  }
}
