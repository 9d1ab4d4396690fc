import type { Clock, TimerHandle } from '../../util/clock.js';
import type { SipMessage, SipRequest, SipResponse } from '../grammar/message.js';
import type { SipLogger } from '../transport/sip-logger.js';
import { EdgeTable, StateMachine } from './state-machine.js';
import type { SipTimers } from './timers.js';

/**
 * The seam between a transaction and the transport below it: a reliability flag and a send.
 * `reliable` decides whether the transaction retransmits (§17: only
 * over unreliable transports) and whether Timers D/I/J/K are zero.
 */
export interface TransactionChannel {
  readonly reliable: boolean;
  send(msg: SipMessage): Promise<void> | void;
}

export interface TransactionEnv {
  clock: Clock;
  timers: SipTimers;
  logger: SipLogger;
}

export type TransactionKind = 'invite-client' | 'non-invite-client' | 'invite-server' | 'non-invite-server';

/** What a client transaction reports to its transaction user (§17.1). */
export interface ClientTransactionUser {
  onResponse(res: SipResponse): void;
  /** Timer B or F fired: the TU treats it as a 408 (§8.1.3.1). */
  onTimeout(): void;
  /** The transport failed to send: the TU treats it as a 503 (§8.1.3.1). */
  onTransportError(err: unknown): void;
  onTerminated?(): void;
}

/** What a server transaction reports to its transaction user (§17.2). */
export interface ServerTransactionUser {
  /** RFC 6026 §7.1: an ACK for a 2xx received in the Accepted state goes to the TU. */
  onAck?(ack: SipRequest): void;
  /** Timer H fired without an ACK for a non-2xx final response. */
  onTimeout?(): void;
  onTransportError?(err: unknown): void;
  onTerminated?(): void;
}

/**
 * Shared plumbing of the four machines: the guarded state machine, timers that span several
 * states (Timer B/F/H), safe sending, and termination bookkeeping.
 */
export abstract class Transaction<S extends string> {
  abstract readonly kind: TransactionKind;
  protected readonly fsm: StateMachine<S>;
  private spanTimers = new Map<string, TimerHandle>();
  private terminatedListeners: Array<() => void> = [];

  protected constructor(
    readonly key: string,
    readonly request: SipRequest,
    protected readonly channel: TransactionChannel,
    protected readonly env: TransactionEnv,
    initial: S,
    edges: EdgeTable<S>,
  ) {
    this.fsm = new StateMachine<S>(`tx ${key}`, initial, edges, env.clock, (from, to) => {
      env.logger.debug({ tx: key, from, to }, 'sip transaction state');
      if (to === ('terminated' as S)) this.onTerminatedInternal();
      else this.onEnter(to);
    });
  }

  get state(): S {
    return this.fsm.state;
  }

  get reliable(): boolean {
    return this.channel.reliable;
  }

  get isTerminated(): boolean {
    return this.fsm.state === ('terminated' as S);
  }

  /** The transaction layer removes the transaction from its table through this hook. */
  onTerminated(fn: () => void): void {
    this.terminatedListeners.push(fn);
  }

  protected abstract onEnter(state: S): void;
  protected abstract notifyTerminated(): void;
  protected abstract notifyTransportError(err: unknown): void;

  protected transition(to: S): void {
    this.fsm.transition(to);
  }

  /** Arm a timer bound to the current state. A zero delay on a reliable transport runs at once. */
  protected stateTimer(name: string, ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    this.fsm.armTimer(name, ms, fn);
  }

  /** A timer that spans states (Timer B across Calling; F across Trying and Proceeding). */
  protected spanTimer(name: string, ms: number, fn: () => void): void {
    this.spanTimers.get(name)?.cancel();
    this.spanTimers.set(
      name,
      this.env.clock.setTimer(ms, () => {
        this.spanTimers.delete(name);
        if (!this.isTerminated) fn();
      }),
    );
  }

  protected cancelSpanTimer(name: string): void {
    this.spanTimers.get(name)?.cancel();
    this.spanTimers.delete(name);
  }

  /** Send without ever throwing: a failure becomes a transport error (§17.1.4, §17.2.4). */
  protected send(msg: SipMessage): void {
    try {
      const p = this.channel.send(msg);
      if (p) p.catch((err: unknown) => this.transportError(err));
    } catch (err) {
      this.transportError(err);
    }
  }

  private transportError(err: unknown): void {
    if (this.isTerminated) return;
    this.env.logger.warn({ tx: this.key, err: String(err) }, 'sip transport error in transaction');
    this.notifyTransportError(err);
    if (!this.isTerminated) this.transition('terminated' as S);
  }

  /** Stop everything now (UA close). */
  terminate(): void {
    if (!this.isTerminated) this.transition('terminated' as S);
  }

  private onTerminatedInternal(): void {
    for (const t of this.spanTimers.values()) t.cancel();
    this.spanTimers.clear();
    this.fsm.cancelStateTimers();
    this.notifyTerminated();
    for (const fn of this.terminatedListeners) {
      try {
        fn();
      } catch (err) {
        this.env.logger.error({ tx: this.key, err: String(err) }, 'transaction termination listener threw');
      }
    }
  }
}
