/**
 * Call history: one record per call, kept in memory for queries and appended to `history.jsonl` under
 * the data dir. The event loop that writes history also paces audio, so no write happens inline:
 * `add()` queues the record, a short timer (or a full batch) appends the queue in one asynchronous
 * write, and another timer fsyncs what was appended. `flush()`/`close()` write and fsync everything
 * queued, so a clean stop loses nothing; a kill -9 or power cut loses at most the records of the last
 * append delay plus fsync interval, and can tear the last line, which the loader skips (and reports).
 * Memory is bounded: past `maxPending` queued records (the disk is not keeping up) the queue is
 * dropped and the file is rewritten from the in-memory records, which hold every queued one; a failed
 * append is retried the same way. When the file grows past `maxRecords`·2 lines it is rewritten
 * (compacted) atomically too.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { AcipError } from '../util/errors.js';
import { diskHistoryFile, type HistoryFile } from './history-file.js';

/** Defaults of the write-behind: short enough that a record is on disk within about a second. */
export const HISTORY_WRITE_DEFAULTS = {
  appendDelayMs: 250,
  batchRecords: 64,
  fsyncIntervalMs: 1000,
  maxPending: 2000,
} as const;

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
  private linesInFile = 0;
  skippedLines = 0;
  private readonly maxRecords: number;
  private readonly onWarning: ((msg: string) => void) | undefined;
  private readonly clock: Clock;
  private readonly file: HistoryFile;
  private readonly appendDelayMs: number;
  private readonly batchRecords: number;
  private readonly fsyncIntervalMs: number;
  private readonly maxPending: number;
  /** Serialised records not yet handed to the file. */
  private pending: string[] = [];
  /** The next write replaces the file with the in-memory records (queue overflow or compaction). */
  private rewriteAll = false;
  private appendTimer: TimerHandle | undefined;
  private syncTimer: TimerHandle | undefined;
  private unsynced = false;
  private writing: Promise<void> | undefined;
  private lastError: unknown;
  private failing = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  /** `new CallHistory(dir)`, `new CallHistory(dir, maxRecords, onWarning)` or `new CallHistory(dir, options)`. */
  constructor(dataDir: string, maxRecordsOrOptions: number | CallHistoryOptions = {}, onWarning?: (msg: string) => void) {
    const o: CallHistoryOptions = typeof maxRecordsOrOptions === 'number' ? { maxRecords: maxRecordsOrOptions, onWarning } : maxRecordsOrOptions;
    this.maxRecords = o.maxRecords ?? 10_000;
    this.onWarning = o.onWarning ?? onWarning;
    this.clock = o.clock ?? systemClock;
    this.appendDelayMs = o.appendDelayMs ?? HISTORY_WRITE_DEFAULTS.appendDelayMs;
    this.batchRecords = Math.max(1, o.batchRecords ?? HISTORY_WRITE_DEFAULTS.batchRecords);
    this.fsyncIntervalMs = o.fsyncIntervalMs ?? HISTORY_WRITE_DEFAULTS.fsyncIntervalMs;
    this.maxPending = Math.max(1, o.maxPending ?? HISTORY_WRITE_DEFAULTS.maxPending);
    if (o.file) this.file = o.file;
    else {
      mkdirSync(dataDir, { recursive: true });
      this.file = diskHistoryFile(join(dataDir, 'history.jsonl'));
    }
    this.path = this.file.path;
    this.load();
  }

  private load(): void {
    const text = this.file.readAll();
    if (text === undefined) return;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      this.linesInFile++;
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
    const line = JSON.stringify(record);
    if (this.closed) {
      // A record after close() (a caller closing in the wrong order) is still kept: written inline.
      this.file.appendSync(`\n${line}\n`);
      this.linesInFile++;
      return;
    }
    // With a rewrite due, the in-memory records already carry this one.
    if (!this.rewriteAll) {
      if (this.pending.length < this.maxPending) this.pending.push(line);
      else {
        this.pending = [];
        this.rewriteAll = true;
        this.onWarning?.(`history ${this.path}: more than ${this.maxPending} records waiting for the disk; rewriting the file from memory`);
      }
    }
    if (this.rewriteAll || this.pending.length >= this.batchRecords) void this.kick();
    else this.armAppend(this.appendDelayMs);
  }

  private armAppend(ms: number): void {
    this.appendTimer ??= this.clock.setTimer(ms, () => {
      this.appendTimer = undefined;
      void this.kick();
    });
  }

  /** Records queued and not yet handed to the file (for tests and diagnostics). */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Write every queued record now and fsync. Rejects (code HISTORY_WRITE_FAILED) when the file cannot be written. */
  async flush(): Promise<void> {
    this.appendTimer?.cancel();
    this.appendTimer = undefined;
    // A failed write is tried once more (as a rewrite from memory) before flush gives up.
    let failures = 0;
    while (this.writing || this.pending.length > 0 || this.rewriteAll) {
      await this.kick();
      if (this.failing && ++failures >= 2) throw new AcipError('HISTORY_WRITE_FAILED', `history ${this.path}: ${String(this.lastError)}`, undefined, { cause: this.lastError });
    }
    this.syncTimer?.cancel();
    this.syncTimer = undefined;
    await this.syncNow();
    if (this.unsynced) throw new AcipError('HISTORY_WRITE_FAILED', `history ${this.path}: fsync failed: ${String(this.lastError)}`, undefined, { cause: this.lastError });
  }

  /** Idempotent: flush, then stop the timers. Later `add()` calls write inline. */
  close(): Promise<void> {
    this.closing ??= this.flush().finally(() => {
      this.closed = true;
      this.appendTimer?.cancel();
      this.syncTimer?.cancel();
    });
    return this.closing;
  }

  /** Start the writer unless it runs; it drains the queue, then arms the fsync timer. */
  private kick(): Promise<void> {
    this.writing ??= this.drain().finally(() => {
      this.writing = undefined;
      // Records queued during the last write, or a failed write: try again after the append delay.
      if ((this.pending.length > 0 || this.rewriteAll) && !this.closed) this.armAppend(this.failing ? this.fsyncIntervalMs : this.appendDelayMs);
      if (this.unsynced && !this.closed) {
        this.syncTimer ??= this.clock.setTimer(this.fsyncIntervalMs, () => {
          this.syncTimer = undefined;
          void this.syncNow();
        });
      }
    });
    return this.writing;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0 || this.rewriteAll) {
      this.appendTimer?.cancel();
      this.appendTimer = undefined;
      try {
        if (this.rewriteAll || this.linesInFile + this.pending.length > this.maxRecords * 2) await this.rewrite();
        else await this.appendPending();
        if (this.failing) this.onWarning?.(`history ${this.path}: writing again`);
        this.failing = false;
      } catch (err) {
        if (!this.failing) this.onWarning?.(`history ${this.path}: write failed (${String(err)}); will retry`);
        this.failing = true;
        this.lastError = err;
        return;
      }
    }
  }

  private async appendPending(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      // Start on a fresh line even if the previous writer was killed mid-line.
      await this.file.append(`\n${batch.join('\n')}\n`);
    } catch (err) {
      // Part of the batch may have reached the file: appending it again could duplicate records, so
      // the retry rewrites the file from the in-memory records, which hold the whole batch.
      this.pending = [];
      this.rewriteAll = true;
      throw err;
    }
    this.linesInFile += batch.length;
    this.unsynced = true;
  }

  /** Replace the file with the in-memory records; records added meanwhile queue for the next append. */
  private async rewrite(): Promise<void> {
    const snapshot = this.records.slice();
    this.pending = [];
    this.rewriteAll = false;
    try {
      await this.file.replace(snapshot.map((r) => JSON.stringify(r)).join('\n') + '\n');
    } catch (err) {
      this.rewriteAll = true;
      throw err;
    }
    this.linesInFile = snapshot.length;
    // The replacement was fsynced whole; earlier unsynced appends went with the old file.
    this.unsynced = false;
  }

  private async syncNow(): Promise<void> {
    if (!this.unsynced) return;
    this.unsynced = false;
    try {
      await this.file.sync();
    } catch (err) {
      this.unsynced = true;
      this.lastError = err;
      this.onWarning?.(`history ${this.path}: fsync failed (${String(err)})`);
    }
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
