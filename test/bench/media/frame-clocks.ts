/**
 * What a session's frame clocks cost the thread, apart from the work their ticks do: `sessions`
 * sessions' send (20 ms) and receive (5 ms) clocks on the system clock, ticking an empty callback,
 * with the phases media sessions give them (every origin on the thread's tick grid, frame-ticker.ts)
 * against random phases (what sessions opened at arbitrary moments had before). Each tick costs a
 * timer callback and, when no other clock shares its moment, a wake-up of the event loop (an
 * epoll round trip): the figure is the thread's CPU per tick delivered.
 *
 *   npm run bench -- frame-clocks            (or: node --import tsx test/bench/media/frame-clocks.ts)
 *   node --import tsx test/bench/media/frame-clocks.ts [--sessions=N] [--seconds=S] [--rounds=N]
 *
 * Both phase plans run alternately in one process, `rounds` times, `seconds` each: read the medians
 * beside `uptime` (the machine may be shared). Printed, never asserted.
 */
import { loadavg } from 'node:os';
import { FrameClock } from '../../../server/media/frame-clock.js';
import { tickGridAtOrBefore } from '../../../server/media/frame-ticker.js';
import { systemClock } from '../../../server/util/clock.js';

export interface FrameClocksOptions {
  sessions?: number;
  seconds?: number;
  rounds?: number;
  log?: (line: string) => void;
}

type Plan = 'grid' | 'random';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** CPU µs per tick of `sessions` sessions' two clocks over `seconds`, with origins as `plan` says. */
async function measure(plan: Plan, sessions: number, seconds: number): Promise<{ usPerTick: number; wakeupsPerTick: number }> {
  let ticks = 0;
  const onTick = (): void => {
    ticks++;
  };
  const clocks: FrameClock[] = [];
  for (let i = 0; i < sessions; i++) {
    // Sessions open at arbitrary moments; the plan decides their clocks' origin.
    await sleep(Math.random() * 7);
    const now = systemClock.now();
    const origin = plan === 'grid' ? tickGridAtOrBefore(now) : now;
    for (const frameMs of [20, 5]) {
      const c = new FrameClock({ frameMs, clock: systemClock, onTick });
      c.start(origin);
      clocks.push(c);
    }
  }
  await sleep(1000);
  const t0 = ticks;
  const w0 = clocks.reduce((s, c) => s + c.stats().wakeups, 0);
  const c0 = process.cpuUsage();
  await sleep(seconds * 1000);
  const cpu = process.cpuUsage(c0);
  const n = ticks - t0;
  const w = clocks.reduce((s, c) => s + c.stats().wakeups, 0) - w0;
  for (const c of clocks) c.stop();
  return { usPerTick: (cpu.user + cpu.system) / n, wakeupsPerTick: w / n };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
}

export async function runFrameClocksBench(opts: FrameClocksOptions = optionsFromArgv(process.argv)): Promise<void> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const sessions = opts.sessions ?? 16;
  const seconds = opts.seconds ?? 4;
  const rounds = opts.rounds ?? 3;
  // Keeps the process alive: the clocks' timers are unref'd.
  const keep = setInterval(() => undefined, 1000);
  const results: Record<Plan, number[]> = { grid: [], random: [] };
  log(`frame clocks: ${sessions} sessions × (20 ms send + 5 ms receive), empty ticks, ${rounds} rounds of ${seconds} s; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  try {
    for (let r = 0; r < rounds; r++) {
      for (const plan of ['random', 'grid'] as const) {
        const m = await measure(plan, sessions, seconds);
        results[plan].push(m.usPerTick);
        log(`  round ${r + 1} ${plan.padEnd(6)} ${m.usPerTick.toFixed(2)} µs CPU per tick (clock wake-ups per tick ${m.wakeupsPerTick.toFixed(2)})`);
      }
    }
  } finally {
    clearInterval(keep);
  }
  const g = median(results.grid);
  const rnd = median(results.random);
  log(`  median: random phases ${rnd.toFixed(2)} µs, tick grid ${g.toFixed(2)} µs per tick (grid / random ${(g / rnd).toFixed(2)}); load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

function optionsFromArgv(argv: string[]): FrameClocksOptions {
  const arg = (name: string): number | undefined => {
    const v = argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
    return v === undefined ? undefined : Number(v);
  };
  return {
    ...(arg('sessions') !== undefined ? { sessions: arg('sessions') } : {}),
    ...(arg('seconds') !== undefined ? { seconds: arg('seconds') } : {}),
    ...(arg('rounds') !== undefined ? { rounds: arg('rounds') } : {}),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runFrameClocksBench();
  process.exit(0);
}
