/**
 * Real-time scheduling for the calling thread (a media worker): SCHED_RR at a low real-time priority,
 * set with util-linux `chrt` on the thread's own id (Node has no sched_setscheduler binding).
 *
 * Why not a nice value: with autogroups (Linux's default for desktop and server kernels alike), every
 * session is one scheduling group, and a nice value only orders the threads inside it. A media worker
 * shares its group with the SIP/API main thread; when a call flood keeps that thread busy, the whole
 * group waits its turn behind the machine's other groups, and a frame clock due every 20 ms fires
 * hundreds of ms late. Measured on a 2-core machine at a load of about 10, ten G.711 links beside
 * 2000 incoming calls at 100/s: their far ends concealed 360–780 ms per link at normal priority (about
 * as much with nice -10), 0–180 ms with SCHED_RR. Real-time threads are scheduled ahead of every
 * normal one, across groups. Audio servers do the same (JACK, PipeWire through rtkit).
 *
 * Safety: a media worker needs little CPU (about 1 % of a core per G.711 link), the overload guard
 * refuses new calls before a worker saturates, and the kernel's real-time throttling
 * (sched_rt_runtime_us, 95 % by default) leaves the rest of the machine a share even if one spins.
 *
 * Needs CAP_SYS_NICE or an RLIMIT_RTPRIO at least `priority` (systemd `LimitRTPRIO=`); otherwise the
 * thread keeps its normal priority and the caller gets the reason.
 */
import { execFile } from 'node:child_process';
import { readlinkSync } from 'node:fs';

/** SCHED_RR priority of media workers: low (1..99), below the kernel's threaded IRQs (50). */
export const MEDIA_RT_PRIORITY = 10;
/** Time allowed for `chrt` to run. */
const CHRT_TIMEOUT_MS = 2000;

export type PriorityResult = { ok: true; tid: number } | { ok: false; reason: string };

/** The kernel thread id of the calling thread (Linux), from /proc/thread-self → "PID/task/TID". */
export function currentThreadId(): number {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (!Number.isSafeInteger(tid) || tid <= 0) throw new Error('cannot read the thread id from /proc/thread-self');
  return tid;
}

/** `chrt` arguments that set SCHED_RR `priority` on thread `tid`. */
export function chrtArgs(priority: number, tid: number): string[] {
  if (!Number.isInteger(priority) || priority < 1 || priority > 99) throw new RangeError(`real-time priority ${priority} must be an integer 1..99`);
  return ['--rr', '--pid', String(priority), String(tid)];
}

/** Puts the calling thread under SCHED_RR `priority`. Never throws. Linux only. */
export function raiseToRealtime(priority: number): Promise<PriorityResult> {
  if (process.platform !== 'linux') return Promise.resolve({ ok: false, reason: `not on Linux (${process.platform})` });
  let tid: number;
  let args: string[];
  try {
    tid = currentThreadId();
    args = chrtArgs(priority, tid);
  } catch (e) {
    return Promise.resolve({ ok: false, reason: e instanceof Error ? e.message : String(e) });
  }
  return new Promise((resolve) => {
    execFile('chrt', args, { timeout: CHRT_TIMEOUT_MS }, (err, _stdout, stderr) => {
      if (!err) resolve({ ok: true, tid });
      else resolve({ ok: false, reason: (stderr.trim() || err.message).split('\n')[0]! });
    });
  });
}
