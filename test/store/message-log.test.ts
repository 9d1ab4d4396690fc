/**
 * The message history: bounds (total and per remote), newest-first queries, status updates that
 * survive a restart (last line of an id wins), and the write-behind on the fake clock.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageLog, type MessageLogOptions, type MessageRecord } from '../../server/store/message-log.js';
import type { HistoryFile } from '../../server/store/history-file.js';
import { FakeClock } from '../../server/util/clock.js';

const linesOf = (text: string) => text.split('\n').filter((l) => l.trim()).length;

class MemoryFile implements HistoryFile {
  readonly path = '/memory/messages.jsonl';
  content: string;
  ops: string[] = [];
  fail: Error | undefined;
  constructor(private readonly initial?: string) {
    this.content = initial ?? '';
  }
  readAll() {
    return this.initial;
  }
  async append(text: string) {
    this.ops.push(`append ${linesOf(text)}`);
    if (this.fail) throw this.fail;
    this.content += text;
  }
  async sync() {
    this.ops.push('sync');
  }
  async replace(text: string) {
    this.ops.push(`replace ${linesOf(text)}`);
    if (this.fail) throw this.fail;
    this.content = text;
  }
  appendSync(text: string) {
    this.ops.push(`appendSync ${linesOf(text)}`);
    this.content += text;
  }
}

const msg = (i: number, remote = 'sip:studio2@192.0.2.10', over: Partial<MessageRecord> = {}): MessageRecord => ({
  id: `m${i}`,
  at: new Date(1_700_000_000_000 + i * 1000).toISOString(),
  direction: i % 2 ? 'in' : 'out',
  remote,
  text: `hello ${i}`,
  status: 'delivered',
  ...over,
});

function make(o: MessageLogOptions = {}, initial?: string) {
  const clock = new FakeClock();
  const file = new MemoryFile(initial);
  const log = new MessageLog('/unused', { clock, file, ...o });
  return { clock, file, log };
}

/** Let the promise chain of a write finish. */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('the message history', () => {
  it('answers newest first, filtered by remote and limited', () => {
    const { log } = make();
    for (let i = 0; i < 6; i++) log.add(msg(i, i % 3 === 0 ? 'sip:a@x' : 'sip:b@x'));
    expect(log.query().map((m) => m.id)).toEqual(['m5', 'm4', 'm3', 'm2', 'm1', 'm0']);
    expect(log.query({ remote: 'sip:a@x' }).map((m) => m.id)).toEqual(['m3', 'm0']);
    expect(log.query({ limit: 2 }).map((m) => m.id)).toEqual(['m5', 'm4']);
    expect(log.query({ remote: 'sip:nobody@x' })).toEqual([]);
  });

  it('keeps at most maxPerRemote messages of one remote, so a flood does not push others out', () => {
    const { log } = make({ maxPerRemote: 3, maxRecords: 10 });
    log.add(msg(0, 'sip:quiet@x'));
    for (let i = 1; i <= 20; i++) log.add(msg(i, 'sip:flood@x'));
    expect(log.query({ remote: 'sip:flood@x' }).map((m) => m.id)).toEqual(['m20', 'm19', 'm18']);
    expect(log.query({ remote: 'sip:quiet@x' }).map((m) => m.id)).toEqual(['m0']);
  });

  it('keeps at most maxRecords in total, dropping the oldest', () => {
    const { log } = make({ maxRecords: 3 });
    for (let i = 0; i < 5; i++) log.add(msg(i, `sip:r${i}@x`));
    expect(log.query().map((m) => m.id)).toEqual(['m4', 'm3', 'm2']);
    expect(log.size).toBe(3);
  });

  it('cuts an overlong text to the bound', () => {
    const { log } = make({ maxTextChars: 5 });
    expect(log.add(msg(1, 'sip:a@x', { text: 'abcdefgh' })).text).toBe('abcde');
  });

  it('refuses a second message with the same id', () => {
    const { log } = make();
    log.add(msg(1));
    expect(() => log.add(msg(1))).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
  });

  it('records the delivery status and keeps it across a restart', async () => {
    const { log, file, clock } = make();
    log.add(msg(2, 'sip:a@x', { status: 'pending' }));
    expect(log.update('m2', { status: 'failed', statusCode: 404, reason: 'Not Found' })).toMatchObject({ status: 'failed', statusCode: 404 });
    expect(log.update('nope', { status: 'delivered' })).toBeUndefined();
    clock.advance(250);
    await settle();
    await log.close();
    const again = make({}, file.content).log;
    expect(again.query()).toEqual([{ ...msg(2, 'sip:a@x'), status: 'failed', statusCode: 404, reason: 'Not Found' }]);
  });

  it('skips unreadable lines on load and reports them', () => {
    const warnings: string[] = [];
    const good = JSON.stringify(msg(1));
    const { log } = make({ onWarning: (w) => warnings.push(w) }, `${good}\n{"torn":\n{"id":"x"}\n["array"]\n`);
    expect(log.query().map((m) => m.id)).toEqual(['m1']);
    expect(log.skippedLines).toBe(3);
    expect(warnings).toHaveLength(1);
  });

  it('writes nothing inline: a batch is appended after the append delay, then fsynced', async () => {
    const { log, file, clock } = make({ appendDelayMs: 250, fsyncIntervalMs: 1000 });
    log.add(msg(1));
    log.add(msg(2));
    expect(file.ops).toEqual([]);
    clock.advance(250);
    await settle();
    expect(file.ops).toEqual(['append 2']);
    clock.advance(1000);
    await settle();
    expect(file.ops).toEqual(['append 2', 'sync']);
  });

  it('appends at once when a batch is full', async () => {
    const { log, file } = make({ batchRecords: 3 });
    for (let i = 0; i < 3; i++) log.add(msg(i));
    await settle();
    expect(file.ops).toEqual(['append 3']);
  });

  it('rewrites the file from memory after a failed append', async () => {
    const warnings: string[] = [];
    const { log, file, clock } = make({ onWarning: (w) => warnings.push(w) });
    file.fail = new Error('EIO');
    log.add(msg(1));
    clock.advance(250);
    await settle();
    file.fail = undefined;
    clock.advance(1000);
    await settle();
    expect(file.ops.slice(0, 2)).toEqual(['append 1', 'replace 1']);
    expect(warnings.some((w) => w.includes('write failed'))).toBe(true);
  });

  it('compacts the file when status updates double its lines', async () => {
    const { log, file } = make({ maxRecords: 2, batchRecords: 1 });
    log.add(msg(1));
    await settle();
    for (let i = 0; i < 4; i++) {
      log.update('m1', { status: i % 2 ? 'delivered' : 'failed' });
      await settle();
    }
    expect(file.ops).toContain('replace 1');
    expect(linesOf(file.content)).toBeLessThanOrEqual(4);
  });

  it('writes a real file under the data dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acip-messages-'));
    const log = new MessageLog(dir);
    log.add(msg(7));
    await log.close();
    log.add(msg(8));
    const lines = readFileSync(join(dir, 'messages.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(lines.map((l) => (JSON.parse(l) as MessageRecord).id)).toEqual(['m7', 'm8']);
    expect(new MessageLog(dir).query().map((m) => m.id)).toEqual(['m8', 'm7']);
  });
});
