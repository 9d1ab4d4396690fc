/**
 * Call history: one record per call, kept in memory for queries and appended to `history.jsonl` under
 * the data dir through a write-behind (`JsonlWriteBehind`: nothing is written inline on the event
 * loop that paces audio; batched appends, fsync on a timer, rewrite from memory when the disk falls
 * behind or a write fails, compaction past `maxRecords`·2 lines). `flush()`/`close()` write and
 * fsync everything queued. A torn last line (kill -9, power cut) is skipped on load and reported.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Clock } from '../util/clock.js';
import { diskHistoryFile, type HistoryFile } from './history-file.js';
import { JsonlWriteBehind, WRITE_BEHIND_DEFAULTS } from './jsonl-write-behind.js';

/** Defaults of the write-behind: short enough that a record is on disk within about a second. */
export const HISTORY_WRITE_DEFAULTS = WRITE_BEHIND_DEFAULTS;

export interface CallHistoryOptions {
  /** Records kept in memory and, after compaction, in the file (default 10 000). */
  maxRecords?: number;
  onWarning?: (msg: string) => void;
  clock?: Clock;
  /** A queued record waits at most this long before it is appended. */
  appendDelayMs?: number;
  /** Append at once when this many records are queued. */
  batchRecords?: number;
  /** Appended data is fsynced this long after the append. */
  fsyncIntervalMs?: number;
  /** Queue bound; past it the file is rewritten from memory instead. */
  maxPending?: number;
  /** Tests: an in-memory file in place of DATA_DIR/history.jsonl. */
  file?: HistoryFile;
}

export interface CallQuality {
  lossPct: number | null;
  concealedPct: number | null;
  maxJitterMs: number | null;
  meanBufferMs: number | null;
  maxBufferMs: number | null;
  rttMs: number | null;
  redials: number;
}

export interface CallRecord {
  id: string;
  linkId: string;
  direction: 'outbound' | 'inbound';
  remote: string;
  remoteName?: string;
  phonebookId?: string;
  profile?: string;
  /** ISO 8601 wall-clock times. */
  startedAt: string;
  answeredAt?: string;
  endedAt: string;
  /** INVITE sent/received → 200 OK, ms; absent when never answered. */
  answerDelayMs?: number;
  /** Connected time, s (0 when never answered). */
  durationS: number;
  answered: boolean;
  endReason: { by: 'local' | 'remote' | 'network' | 'error'; sipStatus?: number; reason: string };
  codec?: { name: string; clockRate: number; channels: number; ptimeMs: number };
  quality: CallQuality;
}

export interface HistoryQuery {
  remote?: string;
  direction?: 'outbound' | 'inbound';
  phonebookId?: string;
  since?: string;
  until?: string;
  answered?: boolean;
  limit?: number;
}

export class CallHistory {
  readonly path: string;
  private records: CallRecord[] = [];
  skippedLines = 0;
  private readonly maxRecords: number;
  private readonly onWarning: ((msg: string) => void) | undefined;
  private readonly writer: JsonlWriteBehind;

  /** `new CallHistory(dir)`, `new CallHistory(dir, maxRecords, onWarning)` or `new CallHistory(dir, options)`. */
  constructor(dataDir: string, maxRecordsOrOptions: number | CallHistoryOptions = {}, onWarning?: (msg: string) => void) {
    const o: CallHistoryOptions = typeof maxRecordsOrOptions === 'number' ? { maxRecords: maxRecordsOrOptions, onWarning } : maxRecordsOrOptions;
    this.maxRecords = o.maxRecords ?? 10_000;
    this.onWarning = o.onWarning ?? onWarning;
    let file = o.file;
    if (!file) {
      mkdirSync(dataDir, { recursive: true });
      file = diskHistoryFile(join(dataDir, 'history.jsonl'));
    }
    this.path = file.path;
    this.writer = new JsonlWriteBehind({
      label: 'history',
      file,
      snapshot: () => this.records.map((r) => JSON.stringify(r)),
      maxLines: this.maxRecords * 2,
      ...(o.clock ? { clock: o.clock } : {}),
      ...(this.onWarning ? { onWarning: this.onWarning } : {}),
      ...(o.appendDelayMs !== undefined ? { appendDelayMs: o.appendDelayMs } : {}),
      ...(o.batchRecords !== undefined ? { batchRecords: o.batchRecords } : {}),
      ...(o.fsyncIntervalMs !== undefined ? { fsyncIntervalMs: o.fsyncIntervalMs } : {}),
      ...(o.maxPending !== undefined ? { maxPending: o.maxPending } : {}),
    });
    this.load();
  }

  private load(): void {
    for (const line of this.writer.readLines()) {
      try {
        const r = JSON.parse(line) as CallRecord;
        if (typeof r.id === 'string' && typeof r.startedAt === 'string') this.records.push(r);
        else this.skippedLines++;
      } catch {
        this.skippedLines++;
      }
    }
    if (this.skippedLines > 0) this.onWarning?.(`history ${this.path}: skipped ${this.skippedLines} unreadable line(s) (a torn write?)`);
    if (this.records.length > this.maxRecords) this.records = this.records.slice(-this.maxRecords);
  }

  /** Records the call at once for queries; the file gets it within `appendDelayMs` (see the header). */
  add(record: CallRecord): void {
    this.records.push(record);
    if (this.records.length > this.maxRecords) this.records.shift();
    this.writer.queue(JSON.stringify(record));
  }

  /** Records queued and not yet handed to the file (for tests and diagnostics). */
  get pendingCount(): number {
    return this.writer.pendingCount;
  }

  /** Write every queued record now and fsync. Rejects (code HISTORY_WRITE_FAILED) when the file cannot be written. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Idempotent: flush, then stop the timers. Later `add()` calls write inline. */
  close(): Promise<void> {
    return this.writer.close();
  }

  /** Newest first. */
  query(q: HistoryQuery = {}): CallRecord[] {
    const out: CallRecord[] = [];
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i]!;
      if (q.remote && !r.remote.includes(q.remote) && !(r.remoteName ?? '').includes(q.remote)) continue;
      if (q.direction && r.direction !== q.direction) continue;
      if (q.phonebookId && r.phonebookId !== q.phonebookId) continue;
      if (q.since && r.startedAt < q.since) continue;
      if (q.until && r.startedAt > q.until) continue;
      if (q.answered !== undefined && r.answered !== q.answered) continue;
      out.push(r);
      if (q.limit && out.length >= q.limit) break;
    }
    return out;
  }

  /** Answer/seizure ratio (ITU-T E.411): answered calls / call attempts, per phonebook entry (outbound). */
  answerSeizureRatio(phonebookId: string): { attempts: number; answered: number; asr: number | null } {
    const calls = this.records.filter((r) => r.phonebookId === phonebookId && r.direction === 'outbound');
    const answered = calls.filter((r) => r.answered).length;
    return { attempts: calls.length, answered, asr: calls.length ? answered / calls.length : null };
  }
}

const CSV_COLUMNS: [string, (r: CallRecord) => unknown][] = [
  ['started_at', (r) => r.startedAt],
  ['direction', (r) => r.direction],
  ['remote', (r) => r.remote],
  ['remote_name', (r) => r.remoteName],
  ['profile', (r) => r.profile],
  ['codec', (r) => r.codec?.name],
  ['answered', (r) => r.answered],
  ['answer_delay_ms', (r) => r.answerDelayMs],
  ['duration_s', (r) => r.durationS],
  ['end_by', (r) => r.endReason.by],
  ['sip_status', (r) => r.endReason.sipStatus],
  ['end_reason', (r) => r.endReason.reason],
  ['loss_pct', (r) => r.quality.lossPct],
  ['concealed_pct', (r) => r.quality.concealedPct],
  ['max_jitter_ms', (r) => r.quality.maxJitterMs],
  ['mean_buffer_ms', (r) => r.quality.meanBufferMs],
  ['max_buffer_ms', (r) => r.quality.maxBufferMs],
  ['rtt_ms', (r) => r.quality.rttMs],
  ['redials', (r) => r.quality.redials],
];

/** RFC 4180 CSV. Cells starting with = + - @ are prefixed with ' so spreadsheets don't run caller-supplied formulas. */
export function historyToCsv(records: readonly CallRecord[]): string {
  const cell = (v: unknown): string => {
    if (v === undefined || v === null) return '';
    let s = String(v);
    if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [CSV_COLUMNS.map(([h]) => h).join(',')];
  for (const r of records) lines.push(CSV_COLUMNS.map(([, f]) => cell(f(r))).join(','));
  return lines.join('\r\n') + '\r\n';
}
