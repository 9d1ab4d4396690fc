/**
 * Two-step confirmation for actions that must not happen on one accidental click (hanging up a link
 * on air). The first press arms the action for a short window; a second press inside the window
 * confirms it. A press in the first moments after arming is ignored, so an accidental double-click
 * (two clicks a few hundred ms apart) arms but never confirms. Pure state keyed by action (e.g. the
 * link id), time passed in by the caller: no DOM and no timers here.
 */

export interface TwoStepOptions {
  /** How long the action stays armed after the first press, ms. */
  armMs: number;
  /** Presses this soon after arming are ignored (double-click guard), ms. */
  guardMs: number;
}

export const HANGUP_CONFIRM: TwoStepOptions = { armMs: 3000, guardMs: 500 };

/** `idle`: not armed. `guard`: armed, but a press now is ignored. `armed`: a press now confirms. */
export type TwoStepState = 'idle' | 'guard' | 'armed';

/** What a press did: armed the action, confirmed it (do it now), or was ignored (double-click guard). */
export type PressResult = 'armed' | 'confirmed' | 'ignored';

export class TwoStepConfirm {
  private readonly armedAt = new Map<string, number>();

  constructor(private readonly opts: TwoStepOptions = HANGUP_CONFIRM) {}

  state(key: string, nowMs: number): TwoStepState {
    const at = this.armedAt.get(key);
    if (at === undefined) return 'idle';
    const age = nowMs - at;
    if (age < 0 || age >= this.opts.armMs) {
      this.armedAt.delete(key);
      return 'idle';
    }
    return age < this.opts.guardMs ? 'guard' : 'armed';
  }

  press(key: string, nowMs: number): PressResult {
    switch (this.state(key, nowMs)) {
      case 'idle':
        this.armedAt.set(key, nowMs);
        return 'armed';
      case 'guard':
        return 'ignored';
      case 'armed':
        this.armedAt.delete(key);
        return 'confirmed';
    }
  }

  /** Disarm (Escape, or the link went away). */
  cancel(key: string): void {
    this.armedAt.delete(key);
  }

  /** When the state of `key` next changes on its own (guard ends, window closes), or null if idle. */
  nextChangeAt(key: string, nowMs: number): number | null {
    const s = this.state(key, nowMs);
    const at = this.armedAt.get(key);
    if (s === 'idle' || at === undefined) return null;
    return s === 'guard' ? at + this.opts.guardMs : at + this.opts.armMs;
  }
}
