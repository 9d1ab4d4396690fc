/**
 * The panel's picture of the service, built only from the live feed's messages (LiveMessage):
 * links, the latest meter readings, alarms, registration. Pure state and reducers, no DOM.
 * Meter readings (10 Hz) are kept apart from the link snapshots so that they never cause a
 * re-render: the canvas loop reads them on its own schedule.
 *
 * Both feeds are understood: feed 1's full snapshots (`link`, `stats`, `meters`) and feed 2's
 * patches and compact level rows (`link-patch`, `stats-delta`, `levels`), so the panel works
 * against an older service too. A patch for a link
 * the store has never seen, without the fields of a whole snapshot, means the picture is off: the
 * store then asks (once) for a resync, which the controller sends to the service.
 */
import type { Alarm, LinkMeters, LinkPatch, LinkSnapshot, LiveMessage, RegistrationStatus } from './api-types.js';
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
  private resyncWanted = false;

  /**
   * Apply one live message at local monotonic time `nowMs` (and wall time `wallMs`, which stamps
   * the graph points); returns true when the views need a re-render.
   */
  apply(msg: LiveMessage, nowMs: number, wallMs: number = nowMs): boolean {
    this.wallMs = wallMs;
    switch (msg.type) {
      case 'hello': {
        this.version = msg.version;
        this.resyncWanted = false;
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
      case 'link-patch':
        this.patch(msg.link, nowMs);
        break;
      case 'stats-delta': {
        for (const p of msg.links) this.patch(p, nowMs);
        for (const id of msg.removed) this.remove(id);
        // The tick feeds every link's graphs, changed or not, like feed 1's stats do.
        for (const e of this.links.values()) e.series.feed(e.snapshot, wallMs / 1000);
        if (msg.links.length === 0 && msg.removed.length === 0) return false;
        break;
      }
      case 'link-removed':
        this.remove(msg.id);
        break;
      case 'meters':
        for (const m of msg.meters) this.meters.set(m.id, { meters: m.meters, atMs: nowMs });
        return false;
      case 'levels':
        for (const [id, inPeak, inRms, inClips, outPeak, outRms, outClips] of msg.links) {
          const meters = { input: { peak: inPeak, rms: inRms, clips: inClips }, output: { peak: outPeak, rms: outRms, clips: outClips } };
          this.meters.set(id, { meters, atMs: nowMs });
        }
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

  private patch(p: LinkPatch, nowMs: number): void {
    const { unset, ...fields } = p;
    const e = this.links.get(p.id);
    if (!e) {
      if (WHOLE_SNAPSHOT.every((k) => k in fields)) this.upsert({ meters: null, ...fields } as LinkSnapshot, nowMs);
      else this.resyncWanted = true;
      return;
    }
    const next: Record<string, unknown> = { ...e.snapshot, ...fields };
    for (const k of unset ?? []) if (!WHOLE_SNAPSHOT.includes(k as keyof LinkSnapshot)) delete next[k];
    e.snapshot = next as unknown as LinkSnapshot;
    // The duration ticks on locally from when the service last said it.
    if ('durationS' in fields) e.receivedAtMs = nowMs;
  }

  /** Whether a resync was wanted since the last call (and so should be asked for now). */
  takeResyncRequest(): boolean {
    const wanted = this.resyncWanted;
    this.resyncWanted = false;
    return wanted;
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

/** Fields without which a patch cannot stand for a whole link (the first patch of a link carries all of them). */
const WHOLE_SNAPSHOT: readonly (keyof LinkSnapshot)[] = ['state', 'direction', 'remote', 'profile', 'createdAt', 'durationS'];

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
