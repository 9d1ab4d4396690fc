/**
 * Reachability of the phonebook: every `intervalS` each entry that allows it is sent an OPTIONS
 * (RFC 3261 §11), and its last result is kept for the panel. Any final response proves the far end
 * is there; 2xx means it also accepts OPTIONS.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Phonebook } from '../store/phonebook.js';
import type { LinkManagerUa } from './call-port.js';

export interface Reachability {
  reachable: boolean | null;
  rttMs: number | null;
  status: number | null;
  checkedAt: string | null;
}

const UNKNOWN: Reachability = { reachable: null, rttMs: null, status: null, checkedAt: null };
/** The first round waits this long after start. */
const FIRST_PROBE_MS = 1000;

export interface PhonebookProberDeps {
  ua: Pick<LinkManagerUa, 'options'>;
  clock: Clock;
  phonebook: Pick<Phonebook, 'list'>;
  intervalS: number;
}

export class PhonebookProber {
  private readonly reach = new Map<string, Reachability>();
  private timer: TimerHandle | undefined;
  private closed = false;

  constructor(private readonly deps: PhonebookProberDeps) {}

  start(): void {
    if (this.deps.intervalS > 0) this.timer = this.deps.clock.setTimer(FIRST_PROBE_MS, () => void this.probe());
  }

  get(phonebookId: string): Reachability {
    return this.reach.get(phonebookId) ?? UNKNOWN;
  }

  private async probe(): Promise<void> {
    if (this.closed) return;
    const { clock, ua } = this.deps;
    const entries = this.deps.phonebook.list().filter((e) => e.probe !== false);
    await Promise.all(
      entries.map(async (e) => {
        const checkedAt = new Date(clock.wallNow()).toISOString();
        try {
          // A phonebook entry that accepts an unverifiable certificate is probed the same way.
          const { status, rttMs } = await (e.tlsVerify === false ? ua.options(e.uri, { tlsVerify: false }) : ua.options(e.uri));
          this.reach.set(e.id, { reachable: status < 500 || status === 501, rttMs: Math.round(rttMs * 10) / 10, status, checkedAt });
        } catch {
          this.reach.set(e.id, { reachable: false, rttMs: null, status: null, checkedAt });
        }
      }),
    );
    if (!this.closed) this.timer = clock.setTimer(this.deps.intervalS * 1000, () => void this.probe());
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
  }
}
