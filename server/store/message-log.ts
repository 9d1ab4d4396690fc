/**
 * Text message history (SIP MESSAGE, RFC 3428): every message sent or received, newest first for
 * queries, kept in memory within bounds (in total and per remote, so one chatty or hostile peer
 * cannot push everyone else's messages out) and appended to `messages.jsonl` under the data dir.
 *
 * Written like the call history, through a `JsonlWriteBehind` (nothing inline on the event loop that
 * paces audio). A delivery status change is appended as the whole record again; on load the last
 * line of an id wins. When the file holds more than twice the records kept it is compacted.
 * `flush()`/`close()` write and fsync everything queued.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Clock } from '../util/clock.js';
import { AcipError } from '../util/errors.js';
import { diskHistoryFile, type HistoryFile } from './history-file.js';
import { JsonlWriteBehind, WRITE_BEHIND_DEFAULTS } from './jsonl-write-behind.js';

export type MessageDirection = 'in' | 'out';
export type MessageStatus = 'pending' | 'delivered' | 'failed';

export interface MessageRecord {
  id: string;
  /** ISO 8601 wall-clock time the message was sent or received. */
  at: string;
  direction: MessageDirection;
  /** The peer's SIP URI (From of an incoming, Request-URI of an outgoing message). */
  remote: string;
  linkId?: string;
  text: string;
  status: MessageStatus;
  /** Final SIP status of the MESSAGE transaction (RFC 3428 §7: 2xx means delivered to the UA). */
  statusCode?: number;
  reason?: string;
}

export interface MessageQuery {
  remote?: string;
  limit?: number;
}

export const MESSAGE_LOG_DEFAULTS = {
  maxRecords: 5000,
  maxPerRemote: 500,
  /** Longer incoming texts are cut here (the API accepts at most 1000 characters to send). */
  maxTextChars: 4000,
  ...WRITE_BEHIND_DEFAULTS,
} as const;

export interface MessageLogOptions {
  maxRecords?: number;
  maxPerRemote?: number;
  maxTextChars?: number;
  appendDelayMs?: number;
  batchRecords?: number;
  fsyncIntervalMs?: number;
  maxPending?: number;
  clock?: Clock;
  onWarning?: (msg: string) => void;
  /** Tests: an in-memory file in place of DATA_DIR/messages.jsonl. */
  file?: HistoryFile;
}

type Settings = Required<Omit<MessageLogOptions, 'clock' | 'onWarning' | 'file'>>;

function isRecord(r: unknown): r is MessageRecord {
  const m = r as MessageRecord;
  return (
    typeof m === 'object' && m !== null && typeof m.id === 'string' && typeof m.at === 'string' && typeof m.remote === 'string' &&
    typeof m.text === 'string' && (m.direction === 'in' || m.direction === 'out') && ['pending', 'delivered', 'failed'].includes(m.status)
  );
}

export class MessageLog {
  readonly path: string;
  skippedLines = 0;
  /** Oldest first; ids are unique. A Map keyed by id: ids may come from disk, never from a plain object. */
  private records = new Map<string, MessageRecord>();
  private readonly perRemote = new Map<string, number>();
  private readonly s: Settings;
  private readonly onWarning: ((msg: string) => void) | undefined;
  private readonly writer: JsonlWriteBehind;

  constructor(dataDir: string, o: MessageLogOptions = {}) {
    const d = MESSAGE_LOG_DEFAULTS;
    this.s = {
      maxRecords: Math.max(1, o.maxRecords ?? d.maxRecords),
      maxPerRemote: Math.max(1, o.maxPerRemote ?? d.maxPerRemote),
      maxTextChars: Math.max(1, o.maxTextChars ?? d.maxTextChars),
      appendDelayMs: o.appendDelayMs ?? d.appendDelayMs,
      batchRecords: Math.max(1, o.batchRecords ?? d.batchRecords),
      fsyncIntervalMs: o.fsyncIntervalMs ?? d.fsyncIntervalMs,
      maxPending: Math.max(1, o.maxPending ?? d.maxPending),
    };
    this.onWarning = o.onWarning;
    let file = o.file;
    if (!file) {
      mkdirSync(dataDir, { recursive: true });
      file = diskHistoryFile(join(dataDir, 'messages.jsonl'));
    }
    this.path = file.path;
    const s = this.s;
    this.writer = new JsonlWriteBehind({
      label: 'messages',
      file,
      snapshot: () => [...this.records.values()].map((r) => JSON.stringify(r)),
      maxLines: s.maxRecords * 2,
      appendDelayMs: s.appendDelayMs,
      batchRecords: s.batchRecords,
      fsyncIntervalMs: s.fsyncIntervalMs,
      maxPending: s.maxPending,
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.onWarning ? { onWarning: o.onWarning } : {}),
    });
    this.load();
  }

  private load(): void {
    for (const line of this.writer.readLines()) {
      try {
        const r: unknown = JSON.parse(line);
        if (!isRecord(r)) {
          this.skippedLines++;
          continue;
        }
        // The last line of an id wins (a status update); it keeps the place of the first.
        if (this.records.has(r.id)) this.records.set(r.id, r);
        else this.insert(r);
      } catch {
        this.skippedLines++;
      }
    }
    if (this.skippedLines > 0) this.onWarning?.(`messages ${this.path}: skipped ${this.skippedLines} unreadable line(s) (a torn write?)`);
  }

  /** Keep a new message (text cut to the bound); returns the record as kept. */
  add(record: MessageRecord): MessageRecord {
    const r: MessageRecord = { ...record, text: record.text.length > this.s.maxTextChars ? record.text.slice(0, this.s.maxTextChars) : record.text };
    if (this.records.has(r.id)) throw new AcipError('CONFLICT', `message ${r.id} already exists`, 'id');
    this.insert(r);
    this.persist(r);
    return r;
  }

  /** Record the delivery outcome of a message; undefined when it is no longer kept. */
  update(id: string, change: Pick<MessageRecord, 'status'> & Partial<Pick<MessageRecord, 'statusCode' | 'reason'>>): MessageRecord | undefined {
    const old = this.records.get(id);
    if (!old) return undefined;
    const r: MessageRecord = { ...old, ...change };
    this.records.set(id, r);
    this.persist(r);
    return r;
  }

  get(id: string): MessageRecord | undefined {
    return this.records.get(id);
  }

  get size(): number {
    return this.records.size;
  }

  /** Newest first. */
  query(q: MessageQuery = {}): MessageRecord[] {
    const all = [...this.records.values()];
    const out: MessageRecord[] = [];
    for (let i = all.length - 1; i >= 0; i--) {
      const r = all[i]!;
      if (q.remote !== undefined && r.remote !== q.remote) continue;
      out.push(r);
      if (q.limit !== undefined && out.length >= q.limit) break;
    }
    return out;
  }

  private insert(r: MessageRecord): void {
    this.records.set(r.id, r);
    this.perRemote.set(r.remote, (this.perRemote.get(r.remote) ?? 0) + 1);
    if ((this.perRemote.get(r.remote) ?? 0) > this.s.maxPerRemote) {
      for (const [id, old] of this.records) {
        if (old.remote === r.remote) {
          this.drop(id, old);
          break;
        }
      }
    }
    if (this.records.size > this.s.maxRecords) {
      const [id, old] = this.records.entries().next().value as [string, MessageRecord];
      this.drop(id, old);
    }
  }

  private drop(id: string, r: MessageRecord): void {
    this.records.delete(id);
    const n = (this.perRemote.get(r.remote) ?? 1) - 1;
    if (n <= 0) this.perRemote.delete(r.remote);
    else this.perRemote.set(r.remote, n);
  }

  // ---- write-behind ---------------------------------------------------------------------------
  private persist(r: MessageRecord): void {
    this.writer.queue(JSON.stringify(r));
  }

  get pendingCount(): number {
    return this.writer.pendingCount;
  }

  /** Write everything queued and fsync. Rejects with HISTORY_WRITE_FAILED when the file cannot be written. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Idempotent: flush, then stop the timers. Later records are written inline. */
  close(): Promise<void> {
    return this.writer.close();
  }
}
