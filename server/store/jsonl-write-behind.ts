/**
 * The write-behind of an append-only JSON-lines file (call history, message log). The event loop
 * that writes these also paces audio, so nothing is written inline: `queue()` holds a serialised
 * record, a short timer (or a full batch) appends the queue in one asynchronous write, and another
 * timer fsyncs what was appended. `flush()`/`close()` write and fsync everything queued, so a clean
 * stop loses nothing; a kill -9 or power cut loses at most the last append delay plus fsync
 * interval, and can tear the last line, which `readLines()` callers skip.
 *
 * Memory is bounded: past `maxPending` queued lines (the disk is not keeping up) the queue is
 * dropped and the file is rewritten from the owner's in-memory records (`snapshot()`), which hold
 * every queued one. A failed append is retried the same way (part of the batch may be on disk, so
 * appending it again could duplicate records). When the file holds more than `maxLines` lines it is
 * rewritten (compacted) atomically too.
 */
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { AcipError } from '../util/errors.js';
import type { HistoryFile } from './history-file.js';

/** Defaults: short enough that a record is on disk within about a second. */
export const WRITE_BEHIND_DEFAULTS = {
  appendDelayMs: 250,
  batchRecords: 64,
  fsyncIntervalMs: 1000,
  maxPending: 2000,
} as const;

export interface WriteBehindOptions {
  /** Names the file in warnings and errors ("history", "messages"). */
  label: string;
  file: HistoryFile;
  /** The owner's records as lines, oldest first: what a rewrite puts in the file. */
  snapshot: () => string[];
  /** Past this many lines in the file, the next write compacts it from `snapshot()`. */
  maxLines: number;
  clock?: Clock;
  onWarning?: (msg: string) => void;
  /** A queued line waits at most this long before it is appended. */
  appendDelayMs?: number;
  /** Append at once when this many lines are queued. */
  batchRecords?: number;
  /** Appended data is fsynced this long after the append. */
  fsyncIntervalMs?: number;
  /** Queue bound; past it the file is rewritten from memory instead. */
  maxPending?: number;
}

export class JsonlWriteBehind {
  private readonly o: Required<Omit<WriteBehindOptions, 'onWarning'>> & Pick<WriteBehindOptions, 'onWarning'>;
  /** Serialised records not yet handed to the file. */
  private pending: string[] = [];
  /** The next write replaces the file with the in-memory records (queue overflow, failure or compaction). */
  private rewriteAll = false;
  private linesInFile = 0;
  private appendTimer: TimerHandle | undefined;
  private syncTimer: TimerHandle | undefined;
  private unsynced = false;
  private writing: Promise<void> | undefined;
  private lastError: unknown;
  private failing = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(o: WriteBehindOptions) {
    const d = WRITE_BEHIND_DEFAULTS;
    this.o = {
      ...o,
      clock: o.clock ?? systemClock,
      appendDelayMs: o.appendDelayMs ?? d.appendDelayMs,
      batchRecords: Math.max(1, o.batchRecords ?? d.batchRecords),
      fsyncIntervalMs: o.fsyncIntervalMs ?? d.fsyncIntervalMs,
      maxPending: Math.max(1, o.maxPending ?? d.maxPending),
    };
  }

  /** The file's non-blank lines at start-up (none when it does not exist); counted towards compaction. */
  readLines(): string[] {
    const text = this.o.file.readAll();
    if (text === undefined) return [];
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    this.linesInFile = lines.length;
    return lines;
  }

  /** Lines queued and not yet handed to the file (for tests and diagnostics). */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Queue one serialised record; the file gets it within `appendDelayMs`. */
  queue(line: string): void {
    if (this.closed) {
      // A record after close() (a caller closing in the wrong order) is still kept: written inline.
      this.o.file.appendSync(`\n${line}\n`);
      this.linesInFile++;
      return;
    }
    // With a rewrite due, the in-memory records already carry this one.
    if (!this.rewriteAll) {
      if (this.pending.length < this.o.maxPending) this.pending.push(line);
      else {
        this.pending = [];
        this.rewriteAll = true;
        this.warn(`more than ${this.o.maxPending} records waiting for the disk; rewriting the file from memory`);
      }
    }
    if (this.rewriteAll || this.pending.length >= this.o.batchRecords) void this.kick();
    else this.armAppend(this.o.appendDelayMs);
  }

  /** Write every queued line now and fsync. Rejects (code HISTORY_WRITE_FAILED) when the file cannot be written. */
  async flush(): Promise<void> {
    this.appendTimer?.cancel();
    this.appendTimer = undefined;
    // A failed write is tried once more (as a rewrite from memory) before flush gives up.
    let failures = 0;
    while (this.writing || this.pending.length > 0 || this.rewriteAll) {
      await this.kick();
      if (this.failing && ++failures >= 2) throw this.failure(String(this.lastError));
    }
    this.syncTimer?.cancel();
    this.syncTimer = undefined;
    await this.syncNow();
    if (this.unsynced) throw this.failure(`fsync failed: ${String(this.lastError)}`);
  }

  /** Idempotent: flush, then stop the timers. Later `queue()` calls write inline. */
  close(): Promise<void> {
    this.closing ??= this.flush().finally(() => {
      this.closed = true;
      this.appendTimer?.cancel();
      this.syncTimer?.cancel();
    });
    return this.closing;
  }

  private failure(detail: string): AcipError {
    return new AcipError('HISTORY_WRITE_FAILED', `${this.o.label} ${this.o.file.path}: ${detail}`, undefined, { cause: this.lastError });
  }

  private warn(msg: string): void {
    this.o.onWarning?.(`${this.o.label} ${this.o.file.path}: ${msg}`);
  }

  private armAppend(ms: number): void {
    this.appendTimer ??= this.o.clock.setTimer(ms, () => {
      this.appendTimer = undefined;
      void this.kick();
    });
  }

  /** Start the writer unless it runs; it drains the queue, then arms the fsync timer. */
  private kick(): Promise<void> {
    this.writing ??= this.drain().finally(() => {
      this.writing = undefined;
      // Lines queued during the last write, or a failed write: try again after the append delay.
      if ((this.pending.length > 0 || this.rewriteAll) && !this.closed) this.armAppend(this.failing ? this.o.fsyncIntervalMs : this.o.appendDelayMs);
      if (this.unsynced && !this.closed) {
        this.syncTimer ??= this.o.clock.setTimer(this.o.fsyncIntervalMs, () => {
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
        if (this.rewriteAll || this.linesInFile + this.pending.length > this.o.maxLines) await this.rewrite();
        else await this.appendPending();
        if (this.failing) this.warn('writing again');
        this.failing = false;
      } catch (err) {
        if (!this.failing) this.warn(`write failed (${String(err)}); will retry`);
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
      await this.o.file.append(`\n${batch.join('\n')}\n`);
    } catch (err) {
      // Part of the batch may be on disk: the retry rewrites the file from memory instead.
      this.rewriteAll = true;
      throw err;
    }
    this.linesInFile += batch.length;
    this.unsynced = true;
  }

  /** Replace the file with the in-memory records; lines queued meanwhile wait for the next append. */
  private async rewrite(): Promise<void> {
    const lines = this.o.snapshot();
    this.pending = [];
    this.rewriteAll = false;
    try {
      await this.o.file.replace(lines.join('\n') + '\n');
    } catch (err) {
      this.rewriteAll = true;
      throw err;
    }
    this.linesInFile = lines.length;
    // The replacement was fsynced whole; earlier unsynced appends went with the old file.
    this.unsynced = false;
  }

  private async syncNow(): Promise<void> {
    if (!this.unsynced) return;
    this.unsynced = false;
    try {
      await this.o.file.sync();
    } catch (err) {
      this.unsynced = true;
      this.lastError = err;
      this.warn(`fsync failed (${String(err)})`);
    }
  }
}
