/**
 * Real-time scheduling of a media worker thread: the `chrt` arguments, and what a thread that asks
 * for it ends up with (SCHED_RR at that priority where the process may, its normal policy and a
 * reason where it may not).
 */
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { chrtArgs, MEDIA_RT_PRIORITY } from '../../../server/media/worker/thread-priority.js';
import { MediaWorkerPool } from '../../../server/media/worker/media-worker-pool.js';

describe('chrt arguments', () => {
  const rows: Array<{ priority: number; tid: number; want: string[] | RangeErrorConstructor }> = [
    { priority: MEDIA_RT_PRIORITY, tid: 4242, want: ['--rr', '--pid', '10', '4242'] },
    { priority: 1, tid: 7, want: ['--rr', '--pid', '1', '7'] },
    { priority: 99, tid: 7, want: ['--rr', '--pid', '99', '7'] },
    { priority: 0, tid: 7, want: RangeError },
    { priority: 100, tid: 7, want: RangeError },
    { priority: 2.5, tid: 7, want: RangeError },
  ];
  for (const r of rows) {
    it(`priority ${r.priority} ${Array.isArray(r.want) ? `gives ${r.want.join(' ')}` : 'is refused'}`, () => {
      if (Array.isArray(r.want)) expect(chrtArgs(r.priority, r.tid)).toEqual(r.want);
      else expect(() => chrtArgs(r.priority, r.tid)).toThrow(r.want);
    });
  }
});

/** Policy and real-time priority of a thread, from /proc/PID/task/TID/stat (fields 41 and 40). */
const PROBE = `
const { parentPort } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const url = process.env.ACIP_THREAD_PRIORITY_MODULE;
import('tsx/esm/api').then(({ register }) => { register(); return import(url); }).then(async (m) => {
  const r = await m.raiseToRealtime(${MEDIA_RT_PRIORITY});
  const f = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
  parentPort.postMessage({ r, rtPriority: Number(f[37]), policy: Number(f[38]) });
});
`;

describe.skipIf(process.platform !== 'linux')('a thread that asks for real-time scheduling', () => {
  it('runs under SCHED_RR at that priority, or keeps its policy and says why', async () => {
    const moduleUrl = new URL('../../../server/media/worker/thread-priority.ts', import.meta.url).href;
    const w = new Worker(
      PROBE,
      { eval: true, env: { ...process.env, ACIP_THREAD_PRIORITY_MODULE: moduleUrl } },
    );
    try {
      const got = await new Promise<{ r: { ok: boolean; reason?: string }; rtPriority: number; policy: number }>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      const SCHED_OTHER = 0;
      const SCHED_RR = 2;
      if (got.r.ok) expect({ policy: got.policy, rtPriority: got.rtPriority }).toEqual({ policy: SCHED_RR, rtPriority: MEDIA_RT_PRIORITY });
      else {
        expect(got.policy).toBe(SCHED_OTHER);
        expect(got.r.reason).toMatch(/\S/);
      }
    } finally {
      await w.terminate();
    }
  });
});

describe('a media worker pool', () => {
  it('refuses a real-time priority outside 1..99', () => {
    for (const p of [0, 100, 1.5]) expect(() => new MediaWorkerPool({ workers: 1, realtimePriority: p })).toThrow(/realtimePriority/);
  });
});
