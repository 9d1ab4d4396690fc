/**
 * Call history: one record per call, appended to `history.jsonl` under the data dir and fsynced when
 * the call ends. A kill -9 can at worst tear the last line, which the loader skips (and reports); every
 * earlier record survives. When the file grows past `maxRecords`·2 lines it is compacted atomically.
 */
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

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

  constructor(dataDir: string, private readonly maxRecords = 10_000, private readonly onWarning?: (msg: string) => void) {
    mkdirSync(dataDir, { recursive: true });
    this.path = join(dataDir, 'history.jsonl');
    this.load();
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
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

  add(record: CallRecord): void {
    this.records.push(record);
    if (this.records.length > this.maxRecords) this.records.shift();
    // Start on a fresh line even if the previous writer was killed mid-line.
    const fd = openSync(this.path, 'a', 0o600);
    try {
      appendFileSync(fd, `\n${JSON.stringify(record)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.linesInFile++;
    if (this.linesInFile > this.maxRecords * 2) this.compact();
  }

  private compact(): void {
    writeFileAtomic(this.path, this.records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    this.linesInFile = this.records.length;
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
