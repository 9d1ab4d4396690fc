/**
 * The alarms a link's media raises on the board: silence on either direction, no media, a link
 * hung up for inactivity, and packet loss over the last 10 s above `links.lossAlarmPct` (cleared
 * below half of it). The loss window of each link is kept here and restarts with each call.
 */
import type { MediaSessionStats } from '../media/session-types.js';
import type { AlarmBoard } from './alarm-board.js';
import type { LinkMediaEvent } from './link-media.js';

/** What the alarms name a link by. */
export interface AlarmedLink {
  readonly id: string;
  readonly remote: string;
  readonly remoteName: string | undefined;
}

/** Samples kept per link: 1 Hz, so the first and last are 10 s apart. */
const LOSS_WINDOW_SAMPLES = 11;
/** Fewer packets expected over the window than this say nothing about loss. */
const MIN_EXPECTED = 50;

export class LinkHealthAlarms {
  private readonly lossWindow = new Map<string, { expected: number; lost: number }[]>();

  constructor(
    private readonly board: Pick<AlarmBoard, 'raise' | 'clear'>,
    private readonly lossAlarmPct: number,
  ) {}

  /** Loss windows held (leak checks). */
  get windows(): number {
    return this.lossWindow.size;
  }

  /** A new call, or the link is gone: its loss window starts again. */
  resetLoss(linkId: string): void {
    this.lossWindow.delete(linkId);
  }

  onMediaEvent(link: AlarmedLink, event: LinkMediaEvent, detail: Record<string, unknown>): void {
    const who = link.remoteName ?? link.remote;
    switch (event) {
      case 'silence': {
        const dir = detail.direction === 'input' ? 'sent' : 'received';
        this.board.raise(`silence-${String(detail.direction)}`, link.id, `silence on the ${dir} audio of ${who}`, 'silence');
        break;
      }
      case 'silence-cleared':
        this.board.clear(`silence-${String(detail.direction)}`, link.id);
        break;
      case 'no-media':
        this.board.raise('link-down', link.id, `no media from ${who}`);
        break;
      case 'media-restored':
        this.board.clear('link-down', link.id);
        break;
      case 'inactive':
        // A permanent link redials, and its redialling raises the link-down alarm with the same reason.
        if (detail.redials !== true) this.board.raise('inactive', link.id, `link to ${who} hung up: nothing from it for ${String(detail.timeoutS)} s (no RTP, no RTCP)`, 'link-down');
        break;
    }
  }

  /** One 1 Hz sample of a connected link: loss over the last 10 s against the threshold. */
  checkLoss(link: AlarmedLink, s: MediaSessionStats): void {
    if (!s.receive) return;
    const w = this.lossWindow.get(link.id) ?? [];
    w.push({ expected: s.rtp.rx.expected, lost: Math.max(0, s.rtp.rx.lost) });
    if (w.length > LOSS_WINDOW_SAMPLES) w.shift();
    this.lossWindow.set(link.id, w);
    if (w.length < 2) return;
    const first = w[0]!;
    const last = w[w.length - 1]!;
    const expected = last.expected - first.expected;
    if (expected < MIN_EXPECTED) return;
    const pct = ((last.lost - first.lost) / expected) * 100;
    const threshold = this.lossAlarmPct;
    if (pct > threshold) this.board.raise('loss', link.id, `packet loss ${pct.toFixed(1)} % from ${link.remoteName ?? link.remote} (threshold ${threshold} %)`);
    else if (pct < threshold / 2) this.board.clear('loss', link.id);
  }
}
