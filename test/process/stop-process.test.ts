/**
 * stopProcess, the one way tests stop what they start: a program that ignores SIGTERM, and the children
 * it forked, are gone once it resolves; a well-behaved one stops on SIGTERM with its status reported.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { GROUP_LEADER, stopProcess } from '../helpers/stop-process.js';

/** True while `pid` runs (a zombie waiting for its parent counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Bounded wait for orphans to be reaped by init after their group was killed. */
async function goneWithin(pids: number[], attempts = 100): Promise<number[]> {
  let left = pids.filter(alive);
  for (let i = 0; i < attempts && left.length > 0; i++) {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 10));
    left = left.filter(alive);
  }
  return left;
}

/** A shell that ignores SIGTERM (so do the two children it forks) and prints the children's PIDs. */
function stubbornGroup() {
  const child = spawn('sh', ['-c', 'trap "" TERM; sleep 1000 & echo $!; sleep 1000 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'], ...GROUP_LEADER });
  const pids = new Promise<number[]>((resolve) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nums = out.split('\n').filter(Boolean).map(Number);
      if (nums.length >= 2) resolve(nums);
    });
  });
  return { child, pids };
}

describe('stopProcess', () => {
  it('kills a program that ignores SIGTERM, and every process it forked, once the grace period is over', async () => {
    const { child, pids } = stubbornGroup();
    const forked = await pids;
    expect(forked.every(alive)).toBe(true);
    const status = await stopProcess(child, { group: true, graceMs: 200 });
    expect(status).toEqual({ code: null, signal: 'SIGKILL' });
    expect(alive(child.pid!)).toBe(false);
    expect(await goneWithin(forked)).toEqual([]);
  });

  it('reports a clean SIGTERM exit as such and sends no SIGKILL', async () => {
    const child = spawn('sleep', ['1000'], { stdio: 'ignore', ...GROUP_LEADER });
    await new Promise((r) => child.once('spawn', r));
    expect(await stopProcess(child, { group: true })).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('resolves at once for a program that has already exited, still sweeping its group', async () => {
    const { child, pids } = stubbornGroup();
    const forked = await pids;
    // The leader dies alone (SIGKILL to its PID only); its forks live on in the group.
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
    expect(forked.every(alive)).toBe(true);
    expect(await stopProcess(child, { group: true })).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await goneWithin(forked)).toEqual([]);
  });
});
