/**
 * The machine's CPU time, all cores together, as cumulative busy and total counters: the overload
 * monitor turns two readings into the busy share of the interval between them. It is the signal the
 * service's own figures cannot give on a shared box: a media worker waiting for a core that another
 * process holds is idle by its event-loop utilisation while its frame clocks fire late.
 *
 * On Linux the first line of /proc/stat (proc(5)): the aggregate `cpu` line, in USER_HZ ticks:
 *
 *   cpu  user nice system idle iowait irq softirq steal guest guest_nice
 *
 * Idle is `idle + iowait` (a core waiting on I/O is free to run us). `steal` (time the hypervisor gave
 * another guest) is busy: it is time this machine's cores were not ours. `guest` and `guest_nice` are
 * already counted in `user` and `nice`, so they are left out of the total. Kernels before 2.6.11 give
 * fewer columns; the ones present are used.
 *
 * Elsewhere (or when /proc/stat cannot be read) the sum over `os.cpus()`, which has no iowait or steal.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { cpus, type CpuInfo } from 'node:os';

/** Cumulative CPU time of the whole machine, in any one unit (ticks or ms). */
export interface CpuTimes {
  busy: number;
  total: number;
}

/** Reads the machine's cumulative CPU time now; null when the platform gives none. */
export type CpuTimesReader = () => CpuTimes | null;

/** Columns of the `cpu` line after its name, in order; those counted idle. */
const PROC_STAT_COLUMNS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
const IDLE_COLUMNS: ReadonlySet<string> = new Set(['idle', 'iowait']);
/** user, nice, system, idle: present in every kernel's /proc/stat. */
const MIN_COLUMNS = 4;
/** More than the whole `cpu` line: ten 20-digit counters and their separators (a head without a newline is not used). */
const HEAD_BYTES = 256;

/**
 * The aggregate `cpu` line of /proc/stat as busy and total ticks, or null when the text does not start
 * with one (fewer than the four columns every kernel gives, or a column that is not a count): the caller
 * then falls back to `os.cpus()`, so a malformed reading is a missing one, not an error to handle.
 */
export function parseProcStatCpu(text: string): CpuTimes | null {
  const end = text.indexOf('\n');
  const fields = (end < 0 ? text : text.slice(0, end)).trim().split(/\s+/);
  if (fields[0] !== 'cpu') return null;
  const values = fields.slice(1, 1 + PROC_STAT_COLUMNS.length);
  if (values.length < MIN_COLUMNS || !values.every((v) => /^\d{1,15}$/.test(v))) return null;
  let busy = 0;
  let total = 0;
  values.forEach((v, i) => {
    const n = Number(v);
    total += n;
    if (!IDLE_COLUMNS.has(PROC_STAT_COLUMNS[i]!)) busy += n;
  });
  return { busy, total };
}

/** The sum over `os.cpus()` as busy and total ms; null when it lists no core. */
export function sumCpuInfo(list: readonly Pick<CpuInfo, 'times'>[]): CpuTimes | null {
  if (list.length === 0) return null;
  let busy = 0;
  let total = 0;
  for (const { times: t } of list) {
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/**
 * The first bytes of a file, or null when it cannot be read. The `cpu` line is the first of /proc/stat;
 * the rest (a line per core, the interrupt counts) grows with the machine and is not needed.
 */
function readHead(path: string): string | null {
  const buf = Buffer.alloc(HEAD_BYTES);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    return buf.toString('latin1', 0, readSync(fd, buf, 0, HEAD_BYTES, 0));
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The default reader: /proc/stat where it can be read and parsed, else `os.cpus()`. */
export function readMachineCpuTimes(): CpuTimes | null {
  const head = readHead('/proc/stat');
  // Not Linux, or procfs not mounted: the portable reading has no iowait and no steal, which is all it lacks.
  return (head?.includes('\n') ? parseProcStatCpu(head) : null) ?? sumCpuInfo(cpus());
}

/**
 * Busy share of the interval between two readings (0..1), or null when it cannot be told: no reading,
 * no time passed, or counters that went backwards (a core taken offline leaves `os.cpus()`).
 */
export function busyRatio(prev: CpuTimes | null, next: CpuTimes | null): number | null {
  if (!prev || !next) return null;
  const total = next.total - prev.total;
  const busy = next.busy - prev.busy;
  if (!(total > 0) || busy < 0) return null;
  return Math.min(1, busy / total);
}
