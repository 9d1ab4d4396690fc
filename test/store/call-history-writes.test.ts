/**
 * The call history's write-behind on the fake clock: records wait for the append delay or a full batch,
 * appended data is fsynced on its own timer, a stalled disk never grows the queue past its bound, and a
 * clean close loses nothing. An in-memory file records each operation; one test checks the real file.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallHistory, type CallHistoryOptions, type CallRecord } from '../../server/store/call-history.js';
import type { HistoryFile } from '../../server/store/history-file.js';
import { FakeClock } from '../../server/util/clock.js';

function record(i: number): CallRecord {
  return {
    id: `c${i}`,
    linkId: `l${i}`,
    direction: 'inbound',
    remote: 'sip:studio@127.0.0.1',
    startedAt: new Date(1_700_000_000_000 + i * 60_000).toISOString(),
    endedAt: new Date(1_700_000_000_000 + i * 60_000 + 30_000).toISOString(),
    answered: true,
    durationS: 30,
    endReason: { by: 'remote', reason: 'BYE' },
    quality: { lossPct: 0, concealedPct: 0, maxJitterMs: 1, meanBufferMs: 40, maxBufferMs: 40, rttMs: 1, redials: 0 },
  };
}

const linesOf = (text: string) => text.split('\n').filter((l) => l.trim()).length;

/** A file in memory: `ops` lists what was done, `hold()` stalls appends until `release()`, `fail` makes them throw. */
class MemoryFile implements HistoryFile {
  readonly path = '/memory/history.jsonl';
  content: string;
  synced = '';
  ops: string[] = [];
  fail: Error | undefined;
  private holding = false;
  private held: (() => void)[] = [];
  constructor(private readonly initial?: string) {
    this.content = initial ?? '';
  }
  readAll() {
    return this.initial;
  }
  async append(text: string) {
    this.ops.push(`append ${linesOf(text)}`);
    if (this.fail) throw this.fail;
    if (this.holding) await new Promise<void>((r) => this.held.push(r));
    this.content += text;
  }
  async sync() {
    this.ops.push('sync');
    this.synced = this.content;
  }
  async replace(text: string) {
    this.ops.push(`replace ${linesOf(text)}`);
    if (this.fail) throw this.fail;
    this.content = text;
    this.synced = text;
  }
  appendSync(text: string) {
    this.ops.push(`appendSync ${linesOf(text)}`);
    this.content += text;
    this.synced = this.content;
  }
  hold() {
    this.holding = true;
  }
  release() {
    this.holding = false;
    for (const r of this.held.splice(0)) r();
  }
}

/** Let the file's promises settle (the writer awaits them between clock steps). */
const settle = () => new Promise<void>((r) => setImmediate(r));

function make(opts: Partial<CallHistoryOptions> = {}, initial?: string) {
  const clock = new FakeClock();
  const file = new MemoryFile(initial);
  const warnings: string[] = [];
  const history = new CallHistory('/unused', { clock, file, onWarning: (m) => warnings.push(m), appendDelayMs: 250, batchRecords: 64, fsyncIntervalMs: 1000, ...opts });
  return { clock, file, warnings, history };
}

describe('call history write-behind', () => {
  it('answers queries at once but appends nothing until the append delay has passed, then fsyncs one interval later', async () => {
    const { clock, file, history } = make();
    history.add(record(1));
    clock.advance(100);
    history.add(record(2));
    expect(history.query().map((r) => r.id)).toEqual(['c2', 'c1']);
    expect(file.ops).toEqual([]);
    clock.advance(149);
    await settle();
    expect(file.ops).toEqual([]);
    clock.advance(1);
    await settle();
    expect(file.ops).toEqual(['append 2']);
    expect(file.synced).toBe('');
    clock.advance(999);
    await settle();
    expect(file.ops).toEqual(['append 2']);
    clock.advance(1);
    await settle();
    expect(file.ops).toEqual(['append 2', 'sync']);
    expect(file.synced).toBe(file.content);
  });

  it('appends at once when a batch is full, without waiting for the timer', async () => {
    const { file, history } = make({ batchRecords: 3 });
    for (let i = 0; i < 3; i++) history.add(record(i));
    await settle();
    expect(file.ops).toEqual(['append 3']);
  });

  it('writes in the same line format the loader reads, starting each batch on a fresh line', async () => {
    const { clock, file, history } = make();
    history.add(record(1));
    history.add(record(2));
    clock.advance(250);
    await settle();
    expect(file.content).toBe(`\n${JSON.stringify(record(1))}\n${JSON.stringify(record(2))}\n`);
    const again = make({}, file.content).history;
    expect(again.query().map((r) => r.id)).toEqual(['c2', 'c1']);
  });

  it('loses nothing on a clean close: close() appends and fsyncs the queue, and a record after it is written inline', async () => {
    const { clock, file, history } = make();
    for (let i = 0; i < 5; i++) history.add(record(i));
    await history.close();
    expect(file.ops).toEqual(['append 5', 'sync']);
    expect(file.synced).toBe(file.content);
    expect(clock.pending()).toBe(0);
    history.add(record(5));
    expect(file.ops).toEqual(['append 5', 'sync', 'appendSync 1']);
    expect(make({}, file.content).history.query()).toHaveLength(6);
    await history.close(); // idempotent
  });

  it('keeps the queue bounded while the disk stalls, then rewrites the file from memory without losing a record', async () => {
    const { file, warnings, history } = make({ batchRecords: 2, maxPending: 4 });
    file.hold();
    history.add(record(0));
    history.add(record(1)); // a full batch: the append starts and stalls
    await settle();
    expect(file.ops).toEqual(['append 2']);
    for (let i = 2; i < 6; i++) history.add(record(i));
    expect(history.pendingCount).toBe(4);
    history.add(record(6)); // past the bound: the queue gives way to a rewrite
    expect(history.pendingCount).toBe(0);
    expect(warnings.join('\n')).toMatch(/more than 4 records waiting/);
    file.release();
    await history.flush();
    // The replacement is fsynced as part of the atomic replace: nothing is left to sync.
    expect(file.ops).toEqual(['append 2', 'replace 7']);
    expect(make({}, file.content).history.query().map((r) => r.id)).toEqual(['c6', 'c5', 'c4', 'c3', 'c2', 'c1', 'c0']);
  });

  it('retries a failed append one fsync interval later by rewriting the file from memory, so no record is lost or doubled', async () => {
    const { clock, file, warnings, history } = make({}, `\n${JSON.stringify(record(0))}\n`);
    file.fail = new Error('ENOSPC');
    history.add(record(1));
    clock.advance(250);
    await settle();
    expect(file.ops).toEqual(['append 1']);
    expect(warnings).toEqual([expect.stringMatching(/write failed \(Error: ENOSPC\); will retry/)]);
    file.fail = undefined;
    clock.advance(999);
    await settle();
    expect(file.ops).toEqual(['append 1']);
    clock.advance(1);
    await settle();
    expect(file.ops).toEqual(['append 1', 'replace 2']);
    expect(make({}, file.content).history.query().map((r) => r.id)).toEqual(['c1', 'c0']);
    expect(warnings[1]).toMatch(/writing again/);
  });

  it('rejects flush() with HISTORY_WRITE_FAILED once the append and one rewrite have both failed', async () => {
    const { file, history } = make();
    file.fail = new Error('EIO');
    history.add(record(1));
    await expect(history.flush()).rejects.toMatchObject({ code: 'HISTORY_WRITE_FAILED' });
    expect(file.ops).toEqual(['append 1', 'replace 1']);
  });

  it('recovers within flush() when the append fails and the rewrite succeeds', async () => {
    const { file, history } = make();
    file.fail = new Error('EIO');
    history.add(record(1));
    const flushed = history.flush();
    file.fail = undefined; // the append has already failed synchronously inside the first write
    await flushed;
    expect(file.ops).toEqual(['append 1', 'replace 1']);
    expect(make({}, file.content).history.query().map((r) => r.id)).toEqual(['c1']);
  });

  it('compacts the file to the newest maxRecords once it holds more than twice as many lines', async () => {
    const { file, history } = make({ maxRecords: 2, batchRecords: 1 });
    for (let i = 0; i < 5; i++) {
      history.add(record(i));
      await settle();
    }
    expect(file.ops).toEqual(['append 1', 'append 1', 'append 1', 'append 1', 'replace 2']);
    expect(make({}, file.content).history.query().map((r) => r.id)).toEqual(['c4', 'c3']);
  });
});

describe('call history on disk', () => {
  it('appends to DATA_DIR/history.jsonl with the system clock and reads it back after close()', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acip-history-'));
    const h = new CallHistory(dir);
    h.add(record(1));
    h.add(record(2));
    await h.close();
    expect(readFileSync(join(dir, 'history.jsonl'), 'utf8')).toBe(`\n${JSON.stringify(record(1))}\n${JSON.stringify(record(2))}\n`);
    expect(new CallHistory(dir).query().map((r) => r.id)).toEqual(['c2', 'c1']);
  });
});
