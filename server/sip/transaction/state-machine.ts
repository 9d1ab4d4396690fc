import { AcipError } from '../../util/errors.js';
import type { Clock, TimerHandle } from '../../util/clock.js';

/**
 * A guarded state machine: string-literal states, an explicit table of allowed edges, one
 * `transition(to)` that throws on an illegal edge, and timers that belong to a state
 * (cancelled automatically when the state is left: entering a state starts its timers, leaving
 * it clears them).
 */
export type EdgeTable<S extends string> = { readonly [K in S]: readonly S[] };

export class StateMachine<S extends string> {
  private current: S;
  private stateTimers = new Map<string, TimerHandle>();

  constructor(
    private readonly name: string,
    initial: S,
    private readonly edges: EdgeTable<S>,
    private readonly clock: Clock,
    private readonly onChange: (from: S, to: S) => void,
  ) {
    this.current = initial;
  }

  get state(): S {
    return this.current;
  }

  can(to: S): boolean {
    return this.edges[this.current].includes(to);
  }

  /** Leave the current state (cancel its timers), enter `to`, and report the change. */
  transition(to: S): void {
    const from = this.current;
    if (!this.edges[from].includes(to)) {
      throw new AcipError('SIP_ILLEGAL_TRANSITION', `${this.name}: illegal transition ${from} -> ${to}`);
    }
    this.cancelStateTimers();
    this.current = to;
    this.onChange(from, to);
  }

  /** Arm a timer owned by the current state; re-arming a name replaces the previous one. */
  armTimer(name: string, ms: number, fn: () => void): void {
    this.stateTimers.get(name)?.cancel();
    const owner = this.current;
    const handle = this.clock.setTimer(ms, () => {
      this.stateTimers.delete(name);
      // A timer that outlives its state (should not happen: leaving cancels) is ignored.
      if (this.current === owner) fn();
    });
    this.stateTimers.set(name, handle);
  }

  cancelTimer(name: string): void {
    this.stateTimers.get(name)?.cancel();
    this.stateTimers.delete(name);
  }

  cancelStateTimers(): void {
    for (const t of this.stateTimers.values()) t.cancel();
    this.stateTimers.clear();
  }
}
