/**
 * The panel's picture of the service, built only from the live feed's messages (LiveMessage):
 * links, the latest meter readings, alarms, registration. Pure state and reducers, no DOM.
 * Meter readings (10 Hz) are kept apart from the link snapshots so that they never cause a
 * re-render: the canvas loop reads them on its own schedule.
 */
import type { Alarm, LinkMeters, LinkSnapshot, LiveMessage, RegistrationStatus } from './api-types.js';
import { boardRank } from './link-state-view.js';
import { LinkSeries } from './ring-series.js';

export interface LinkEntry {
  snapshot: LinkSnapshot;
  /** Local monotonic time (ms) the snapshot arrived, for a smoothly ticking duration. */
  receivedAtMs: number;
  series: LinkSeries;
}

export interface MeterReading {
  meters: LinkMeters;
  atMs: number;
}

export class PanelStore {
  readonly links = new Map<string, LinkEntry>();
  readonly meters = new Map<string, MeterReading>();
  alarms: Alarm[] = [];
  registration: RegistrationStatus | null = null;
  version: string | null = null;
  /** Bumped whenever something a view shows (other than meters) changed. */
  revision = 0;
  private wallMs = 0;

  /**
   * Apply one live message at local monotonic time `nowMs` (and wall time `wallMs`, which stamps
   * the graph points); returns true when the views need a re-render.
   */
  apply(msg: LiveMessage, nowMs: number, wallMs: number = nowMs): boolean {
    this.wallMs = wallMs;
    switch (msg.type) {
      case 'hello': {
        this.version = msg.version;
        this.registration = msg.registration;
        this.alarms = [...msg.alarms];
        const keep = new Set(msg.links.map((l) => l.id));
        for (const id of [...this.links.keys()]) if (!keep.has(id)) this.remove(id);
        for (const l of msg.links) this.upsert(l, nowMs);
        break;
      }
      case 'link':
        this.upsert(msg.link, nowMs);
        break;
      case 'stats':
        for (const l of msg.links) this.upsert(l, nowMs, true);
        break;
      case 'link-removed':
        this.remove(msg.id);
        break;
      case 'meters':
        for (const m of msg.meters) this.meters.set(m.id, { meters: m.meters, atMs: nowMs });
        return false;
      case 'alarm': {
        const i = this.alarms.findIndex((a) => a.id === msg.alarm.id);
        if (i >= 0) this.alarms[i] = msg.alarm;
        else this.alarms.push(msg.alarm);
        break;
      }
      case 'registration':
        this.registration = msg.registration;
        break;
      default:
        return false; // a message type from a newer service: ignore it
    }
    this.revision++;
    return true;
  }

  private upsert(l: LinkSnapshot, nowMs: number, fromStats = false): void {
    let e = this.links.get(l.id);
    if (!e) {
      e = { snapshot: l, receivedAtMs: nowMs, series: new LinkSeries() };
      this.links.set(l.id, e);
    } else {
      e.snapshot = l;
      e.receivedAtMs = nowMs;
    }
    if (fromStats) e.series.feed(l, this.wallMs / 1000);
    if (l.meters) this.meters.set(l.id, { meters: l.meters, atMs: nowMs });
  }

  private remove(id: string): void {
    this.links.delete(id);
    this.meters.delete(id);
  }

  /** Replace one link with what a REST call returned (e.g. the 201 of a dial) before the feed says so. */
  noteLink(l: LinkSnapshot, nowMs: number): void {
    if (!this.links.has(l.id)) {
      this.upsert(l, nowMs);
      this.revision++;
    }
  }

  /** Cards in board order: waiting-to-answer first, then trouble, then live links, newest first within a group. */
  boardLinks(): LinkEntry[] {
    return [...this.links.values()].sort(
      (a, b) => boardRank(a.snapshot.state) - boardRank(b.snapshot.state) || b.snapshot.createdAt.localeCompare(a.snapshot.createdAt),
    );
  }

  offeredLinks(): LinkSnapshot[] {
    return [...this.links.values()].map((e) => e.snapshot).filter((s) => s.state === 'offered');
  }

  /** Active alarms that nobody acknowledged yet. */
  unacknowledgedCount(): number {
    return this.alarms.filter((a) => !a.acknowledged && !a.clearedAt).length;
  }

  markAcknowledged(id: string): void {
    const a = this.alarms.find((x) => x.id === id);
    if (a) {
      a.acknowledged = true;
      this.revision++;
    }
  }
}

/** Parse a feed frame; anything not an object with a string `type` is rejected (returns null). */
export function parseLiveMessage(text: string): LiveMessage | null {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string') return v as LiveMessage;
  } catch {
    /* fall through */
  }
  return null;
}
