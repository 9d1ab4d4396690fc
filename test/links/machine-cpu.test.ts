/**
 * The machine's CPU time as busy and total counters: the aggregate line of /proc/stat (proc(5)), the
 * `os.cpus()` fallback, and the busy share between two readings. Pure: no test reads this machine's.
 */
import { describe, expect, it } from 'vitest';
import { busyRatio, parseProcStatCpu, sumCpuInfo, type CpuTimes } from '../../server/links/machine-cpu.js';

/** The first three lines of /proc/stat on a 2-core Linux 6.18 box (captured for this test). */
const PROC_STAT_2_CORES = ['cpu  4176052 30654 1027682 3394995 5049 0 45388 0 0 0', 'cpu0 2067977 14886 504848 1728850 862 0 21913 0 0 0', 'cpu1 2108074 15768 522833 1666145 4187 0 23474 0 0 0', ''].join('\n');

describe('the /proc/stat cpu line', () => {
  it.each([
    {
      name: 'counts user, nice, system, irq and softirq busy, idle and iowait idle (a captured line)',
      text: PROC_STAT_2_CORES,
      times: { busy: 4176052 + 30654 + 1027682 + 45388, total: 4176052 + 30654 + 1027682 + 3394995 + 5049 + 45388 },
    },
    { name: 'counts steal busy: those were not our cores', text: 'cpu  100 0 100 600 0 0 0 200 0 0\n', times: { busy: 400, total: 1000 } },
    { name: 'leaves guest time out, as user already counts it', text: 'cpu  300 0 100 600 0 0 0 0 250 50\n', times: { busy: 400, total: 1000 } },
    { name: 'reads an old kernel’s four columns', text: 'cpu 10 20 30 40\ncpu0 10 20 30 40\n', times: { busy: 60, total: 100 } },
    { name: 'reads a line without its newline', text: 'cpu  1 2 3 4 5 6 7 8 9 10', times: { busy: 1 + 2 + 3 + 6 + 7 + 8, total: 36 } },
  ])('$name', ({ text, times }) => {
    expect(parseProcStatCpu(text)).toEqual(times);
  });

  it.each([
    { name: 'a first line that is one core’s, not the aggregate', text: 'cpu0 1 2 3 4\n' },
    { name: 'a line of three columns', text: 'cpu  1 2 3\n' },
    { name: 'a column that is not a count', text: 'cpu  1 2 x 4\n' },
    { name: 'a negative column', text: 'cpu  1 -2 3 4\n' },
    { name: 'an empty file', text: '' },
    { name: 'another file', text: 'MemTotal:  16000000 kB\n' },
  ])('is not read from $name', ({ text }) => {
    expect(parseProcStatCpu(text)).toBeNull();
  });
});

describe('the os.cpus() fallback', () => {
  const core = (user: number, nice: number, sys: number, idle: number, irq: number) => ({ times: { user, nice, sys, idle, irq } });

  it('sums every core: user, nice, sys and irq busy, idle idle', () => {
    expect(sumCpuInfo([core(100, 10, 50, 800, 40), core(300, 0, 100, 600, 0)])).toEqual({ busy: 600, total: 2000 });
  });

  it('gives nothing when no core is listed', () => {
    expect(sumCpuInfo([])).toBeNull();
  });
});

describe('the busy share between two readings', () => {
  const t = (busy: number, total: number): CpuTimes => ({ busy, total });
  it.each([
    { name: 'is the busy delta over the total delta', prev: t(100, 1000), next: t(250, 1200), ratio: 0.75 },
    { name: 'is 1 for a saturated interval', prev: t(100, 1000), next: t(300, 1200), ratio: 1 },
    { name: 'is 0 for an idle interval', prev: t(100, 1000), next: t(100, 1200), ratio: 0 },
    { name: 'is unknown without an earlier reading', prev: null, next: t(100, 1000), ratio: null },
    { name: 'is unknown without a new reading', prev: t(100, 1000), next: null, ratio: null },
    { name: 'is unknown when no time passed', prev: t(100, 1000), next: t(100, 1000), ratio: null },
    { name: 'is unknown when the total went backwards', prev: t(100, 1000), next: t(50, 900), ratio: null },
    { name: 'is unknown when the busy count went backwards', prev: t(100, 1000), next: t(90, 1100), ratio: null },
  ])('$name', ({ prev, next, ratio }) => {
    expect(busyRatio(prev, next)).toBe(ratio);
  });
});
