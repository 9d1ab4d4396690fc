import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../server/store/atomic-file.js';
import { Phonebook } from '../../server/store/phonebook.js';
import { CallHistory, historyToCsv, type CallRecord } from '../../server/store/call-history.js';
import { AcipError } from '../../server/util/errors.js';
import { ROOT_DIR } from '../../server/version.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'acip-store-'));

describe('atomic file writes', () => {
  it('leave a whole old or whole new file when the writer is killed with SIGKILL at any moment', async () => {
    const dir = tmp();
    const target = join(dir, 'phonebook.json');
    // A child that rewrites the file as fast as it can with ever larger, self-checking documents.
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(join(ROOT_DIR, 'server/store/atomic-file.ts'))};
      let n = 0;
      for (;;) { n++; writeFileAtomic(${JSON.stringify(target)}, JSON.stringify({ n, pad: 'x'.repeat(1000 + (n % 50) * 1000) })); if (n === 3) process.stdout.write('go\\n'); }
    `;
    for (let round = 0; round < 8; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 5 + round * 7));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const doc = JSON.parse(readFileSync(target, 'utf8')) as { n: number; pad: string };
      expect(doc.pad.length).toBe(1000 + (doc.n % 50) * 1000);
    }
  });

  it('replaces the content and leaves no temporary files behind', () => {
    const dir = tmp();
    const p = join(dir, 'a.json');
    writeFileAtomic(p, 'one');
    writeFileAtomic(p, 'two');
    expect(readFileSync(p, 'utf8')).toBe('two');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });
});

describe('phonebook', () => {
  const make = (dir: string, warnings: string[] = []) =>
    new Phonebook({ dataDir: dir, profileExists: (n) => n === 'opus-music-128k', wallNow: () => 1_700_000_000_000, onWarning: (m) => warnings.push(m) });

  it('creates, updates, lists and removes entries, and they survive a restart', () => {
    const dir = tmp();
    const pb = make(dir);
    const a = pb.create({ name: 'Studio 2', uri: 'sip:studio2@127.0.0.1:5070', profile: 'opus-music-128k', notes: 'news' });
    const b = pb.create({ name: 'Outside broadcast', uri: 'sip:ob@127.0.0.1' });
    pb.update(b.id, { name: 'OB van', uri: 'sip:ob@127.0.0.1' });
    const again = make(dir);
    expect(again.list().map((e) => e.name)).toEqual(['OB van', 'Studio 2']);
    expect(again.get(a.id)).toMatchObject({ uri: 'sip:studio2@127.0.0.1:5070', profile: 'opus-music-128k', notes: 'news', probe: true });
    expect(again.findByUri('SIP:studio2@127.0.0.1:5070')?.id).toBe(a.id);
    again.remove(a.id);
    expect(make(dir).list().map((e) => e.id)).toEqual([b.id]);
  });

  it('keeps tlsVerify false across a restart and defaults it to true', () => {
    const dir = tmp();
    const pb = make(dir);
    const selfSigned = pb.create({ name: 'Self-signed studio', uri: 'sips:studio3@127.0.0.1', tlsVerify: false });
    const plain = pb.create({ name: 'Studio 4', uri: 'sips:studio4@127.0.0.1' });
    const again = make(dir);
    expect(again.get(selfSigned.id)?.tlsVerify).toBe(false);
    expect(again.get(plain.id)?.tlsVerify).toBe(true);
  });

  it.each([
    [{ name: '', uri: 'sip:a@127.0.0.1' }, 'name'],
    [{ name: 'x', uri: 'http://example.com' }, 'uri'],
    [{ name: 'x', uri: 'sip:a@' }, 'uri'],
    [{ name: 'x', uri: 'sip:a@127.0.0.1', profile: 'nope' }, 'profile'],
    [{ name: 'x', uri: 'sip:a@127.0.0.1', extra: 1 }, 'extra'],
    [{ name: 7, uri: 'sip:a@127.0.0.1' }, 'name'],
    [{ name: 'x', uri: 'sips:a@127.0.0.1', tlsVerify: 'no' }, 'tlsVerify'],
  ])('rejects %j naming the field %s and saves nothing', (input, field) => {
    const dir = tmp();
    const pb = make(dir);
    pb.create({ name: 'keep me', uri: 'sip:keep@127.0.0.1' });
    const before = readFileSync(pb.path, 'utf8');
    let err: unknown;
    try {
      pb.create(input as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AcipError);
    expect((err as AcipError).field).toBe(field);
    expect((err as AcipError).code).toBe('VALIDATION');
    expect(readFileSync(pb.path, 'utf8')).toBe(before);
  });

  it('moves a corrupt phonebook aside instead of overwriting it', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'phonebook.json'), '{"version":1,"entries":[{"half');
    const warnings: string[] = [];
    const pb = make(dir, warnings);
    expect(pb.list()).toEqual([]);
    expect(warnings[0]).toMatch(/kept as .*phonebook\.json\.corrupt-/);
    const aside = readdirSync(dir).find((f) => f.startsWith('phonebook.json.corrupt-'))!;
    expect(readFileSync(join(dir, aside), 'utf8')).toBe('{"version":1,"entries":[{"half');
  });
});

function record(i: number, over: Partial<CallRecord> = {}): CallRecord {
  return {
    id: `c${i}`,
    linkId: `l${i}`,
    direction: 'outbound',
    remote: `sip:studio${i % 2}@127.0.0.1`,
    phonebookId: `pb${i % 2}`,
    startedAt: new Date(1_700_000_000_000 + i * 60_000).toISOString(),
    endedAt: new Date(1_700_000_000_000 + i * 60_000 + 30_000).toISOString(),
    answered: i % 3 !== 0,
    durationS: i % 3 !== 0 ? 30 : 0,
    endReason: { by: 'local', reason: 'hang-up' },
    quality: { lossPct: 0.1, concealedPct: 0.05, maxJitterMs: 3, meanBufferMs: 40, maxBufferMs: 60, rttMs: 1, redials: 0 },
    ...over,
  };
}

describe('call history', () => {
  it('persists records, queries newest first with filters, and computes the answer/seizure ratio', async () => {
    const dir = tmp();
    const h = new CallHistory(dir);
    for (let i = 0; i < 6; i++) h.add(record(i));
    await h.close();
    const again = new CallHistory(dir);
    expect(again.query().map((r) => r.id)).toEqual(['c5', 'c4', 'c3', 'c2', 'c1', 'c0']);
    expect(again.query({ remote: 'studio1', limit: 2 }).map((r) => r.id)).toEqual(['c5', 'c3']);
    expect(again.query({ answered: false }).map((r) => r.id)).toEqual(['c3', 'c0']);
    // pb0 gets calls 0, 2, 4: call 0 unanswered.
    expect(again.answerSeizureRatio('pb0')).toEqual({ attempts: 3, answered: 2, asr: 2 / 3 });
    expect(again.answerSeizureRatio('none')).toEqual({ attempts: 0, answered: 0, asr: null });
  });

  it('survives a torn last line and keeps appending after it', async () => {
    const dir = tmp();
    const h = new CallHistory(dir);
    h.add(record(1));
    await h.close();
    appendFileSync(h.path, '{"id":"c2","linkId":"l2","dire');
    const warnings: string[] = [];
    const again = new CallHistory(dir, 10_000, (m) => warnings.push(m));
    expect(again.query().map((r) => r.id)).toEqual(['c1']);
    expect(warnings[0]).toMatch(/skipped 1 unreadable line/);
    again.add(record(3));
    await again.close();
    expect(new CallHistory(dir).query().map((r) => r.id)).toEqual(['c3', 'c1']);
  });

  it('exports CSV with quoting and defuses spreadsheet formulas from caller-supplied text', () => {
    const csv = historyToCsv([record(1, { remoteName: '=HYPERLINK("x")', endReason: { by: 'remote', sipStatus: 486, reason: 'Busy, "really"' } })]);
    const [header, row] = csv.trimEnd().split('\r\n');
    expect(header!.split(',')).toContain('answer_delay_ms');
    expect(row).toContain(`"'=HYPERLINK(""x"")"`);
    expect(row).toContain('"Busy, ""really"""');
    expect(row).toContain(',486,');
  });
});
