/** CLI: npx tsx test/bench/jitter/main.ts [--profiles wan,step] [--seeds 1-5] [--fixed 40] [--min 0 --max 300] [--per-seed] */
import { runJitterBench } from './run.js';
import { PROFILE_NAMES, type ProfileName } from './traces.js';
import type { JbSettings } from './simulate.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const profiles = (arg('profiles')?.split(',') ?? [...PROFILE_NAMES]) as ProfileName[];
for (const p of profiles) if (!PROFILE_NAMES.includes(p)) throw new Error(`unknown profile ${p}`);
const seedArg = arg('seeds') ?? '1-5';
const [a, b] = seedArg.split('-').map(Number);
const seeds = b === undefined ? [a as number] : Array.from({ length: (b as number) - (a as number) + 1 }, (_, i) => (a as number) + i);
const min = Number(arg('min') ?? 0);
const max = Number(arg('max') ?? 300);
const fixed = arg('fixed');
const jb: JbSettings = fixed === undefined
  ? { mode: 'adaptive', minDelayMs: min, maxDelayMs: max }
  : { mode: 'fixed', fixedDelayMs: Number(fixed), minDelayMs: 0, maxDelayMs: Math.max(max, Number(fixed)) };
await runJitterBench({ profiles, seeds, jb, perSeed: args.includes('--per-seed') });
