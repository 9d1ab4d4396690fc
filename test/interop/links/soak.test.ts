/**
 * Acceptance: 20 consecutive calls (acip → baresip, short, each hung up with DELETE) leave
 * no growth in sockets or memory. Read from the service process itself: its open sockets and file
 * descriptors from /proc/PID/fd, its RSS from /proc/PID/status — before (after 3 warm-up calls and a
 * settle) and after. Timers: Node offers no outside view of a process's timers; a leaked per-call
 * timer would keep its closure (and so its link/media objects) alive, which the RSS bound covers only
 * coarsely — the socket and fd counts are the exact checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { requireProgram } from '../../helpers/require-program.js';
import { BARESIP_CODECS, startBaresip, type BaresipPeer } from '../../helpers/baresip.js';
import { sleep, startLtAcip, waitForLinkState, type LtAcip } from './harness.js';

const has = requireProgram('baresip') && requireProgram('sox') && process.platform === 'linux';

function handles(pid: number): { fds: number; sockets: number; rssKb: number } {
  let sockets = 0;
  const fds = readdirSync(`/proc/${pid}/fd`);
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      // closed meanwhile
    }
  }
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { fds: fds.length, sockets, rssKb: Number(rss?.[1] ?? 0) };
}

/** RSS may grow this much over the 20 calls: V8 heap growth and allocator slack, not a per-call leak
 * (a leaked media session holds buffers of ~1 MB and 20 of them would exceed it). */
const RSS_BOUND_KB = 24 * 1024;

describe.skipIf(!has)('20 consecutive calls', () => {
  let acip: LtAcip;
  let b: BaresipPeer;
  beforeAll(async () => {
    acip = await startLtAcip({ output: 'null', config: 'links:\n  probeIntervalS: 0\n' });
    b = await startBaresip({ codecs: [BARESIP_CODECS.PCMA] });
  }, 30_000);
  afterAll(async () => {
    await b?.stop();
    await acip?.close();
  });

  async function oneCall(): Promise<number> {
    const r = await acip.api('POST', '/api/links', { to: b.uri, profile: 'g711-telephone' });
    expect(r.status).toBe(201);
    const up = await waitForLinkState(acip, r.body.id, 'connected', 5000);
    expect(up.state).toBe('connected');
    await sleep(200);
    await acip.api('DELETE', `/api/links/${r.body.id}`);
    expect((await waitForLinkState(acip, r.body.id, 'ended', 5000)).state).toBe('ended');
    const h = (await acip.api('GET', '/api/history')).body.calls.find((c: any) => c.linkId === r.body.id);
    return h?.answerDelayMs ?? -1;
  }

  it('leave the service with as many sockets and fds as before, and bounded memory', async () => {
    const pid = acip.child.pid!;
    for (let i = 0; i < 3; i++) await oneCall();
    await sleep(1500);
    const before = handles(pid);
    const delays: number[] = [];
    for (let i = 0; i < 20; i++) delays.push(await oneCall());
    await sleep(1500);
    const after = handles(pid);
    const links = (await acip.api('GET', '/api/links')).body.links as any[];
    console.log(`soak: before ${JSON.stringify(before)} after ${JSON.stringify(after)}; answer delay ms min ${Math.min(...delays)} median ${delays.sort((x, y) => x - y)[10]} max ${Math.max(...delays)}`);
    expect(links.filter((l) => l.state !== 'ended')).toEqual([]);
    expect(after.sockets).toBe(before.sockets);
    expect(after.fds).toBe(before.fds);
    expect(after.rssKb - before.rssKb).toBeLessThan(RSS_BOUND_KB);
    expect(delays.every((d) => d >= 0)).toBe(true);
  }, 60_000);
});
