/**
 * The alarm board of the link manager: every alarm raised (the newest `MAX_ALARMS` kept), and the
 * open ones by key (kind + link), so that a condition is raised once until it is cleared. Every
 * change goes out through `publish` (the manager's 'alarm' event).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../util/clock.js';
import { AcipError } from '../util/errors.js';
import type { LinkLogger } from './link-logger.js';
import type { Alarm } from './link-types.js';

const MAX_ALARMS = 500;

/** Alarms that belong to no link, keyed by what raised them. */
export type SystemAlarmKind = 'source-blocked' | 'insecure-config' | 'overload';

export interface AlarmBoardDeps {
  clock: Pick<Clock, 'wallNow'>;
  log: LinkLogger;
  publish: (alarm: Alarm) => void;
}

export class AlarmBoard {
  private readonly list: Alarm[] = [];
  /** Open alarms by key (kind + link), to clear them when the condition goes away. */
  private readonly open = new Map<string, Alarm>();

  constructor(private readonly deps: AlarmBoardDeps) {}

  /** Newest first. */
  all(): Alarm[] {
    return [...this.list].reverse();
  }

  get openCount(): number {
    return this.open.size;
  }

  get size(): number {
    return this.list.length;
  }

  ack(id: string): Alarm {
    const a = this.list.find((x) => x.id === id);
    if (!a) throw new AcipError('NOT_FOUND', `no alarm ${JSON.stringify(id)}`, 'id');
    a.acknowledged = true;
    this.deps.publish(a);
    return a;
  }

  raise(key: string, linkId: string | undefined, message: string, kind?: Alarm['kind']): void {
    const k = `${key}:${linkId ?? ''}`;
    if (this.open.has(k)) return;
    const alarm: Alarm = {
      id: randomUUID().slice(0, 8),
      kind: kind ?? (key as Alarm['kind']),
      ...(linkId ? { linkId } : {}),
      message,
      raisedAt: new Date(this.deps.clock.wallNow()).toISOString(),
      acknowledged: false,
    };
    this.open.set(k, alarm);
    this.list.push(alarm);
    if (this.list.length > MAX_ALARMS) this.list.shift();
    this.deps.log.warn({ alarm: alarm.kind, link: linkId }, `alarm: ${message}`);
    this.deps.publish(alarm);
  }

  clear(key: string, linkId: string | undefined): void {
    const k = `${key}:${linkId ?? ''}`;
    const a = this.open.get(k);
    if (!a) return;
    this.open.delete(k);
    a.clearedAt = new Date(this.deps.clock.wallNow()).toISOString();
    this.deps.log.info({ alarm: a.kind, link: linkId }, `alarm cleared: ${a.message}`);
    this.deps.publish(a);
  }

  raiseSystem(kind: SystemAlarmKind, key: string, message: string): void {
    this.raise(`${kind}/${key}`, undefined, message, kind);
  }

  clearSystem(kind: SystemAlarmKind, key: string): void {
    this.clear(`${kind}/${key}`, undefined);
  }

  /** A link left the board: its alarms stay in the list; only the index of open ones lets go of them. */
  forgetLink(linkId: string): void {
    for (const [k, a] of this.open) if (a.linkId === linkId) this.open.delete(k);
  }
}
