/**
 * What the soak's RSS check depends on outside V8: glibc's malloc gives freed memory back to the
 * system under the allocator settings `npm start` runs the service with.
 *
 * glibc serves a request of at least its mmap threshold (128 KiB at start) with its own mapping, given
 * back on free, and trims an arena's free top once it exceeds its trim threshold (128 KiB). But each
 * time such a mapped block is freed, glibc raises the mmap threshold to that block's size and the trim
 * threshold to twice it (up to 32 and 64 MiB), unless either was set explicitly (mallopt(3)). After one
 * large buffer has come and gone (a 6 MB history rewrite, a big JSON reply), later buffers below its
 * size come from the arenas, and what they free stays resident: growth that no garbage collection
 * gives back. Setting both thresholds (GLIBC_TUNABLES) keeps the start values for good.
 *
 * The child runs node with `npm start`'s environment assignments (server-build.ts), frees one 6 MiB
 * buffer, then allocates and frees 40 buffers of 1 MiB, each followed by a small buffer kept alive
 * (as a long call's state would be), and reports its RSS with all of them live and after they are freed.
 */
import { describe, expect, it } from 'vitest';
import { runProgram } from './sip-peer-process.js';
import { npmScriptEnv } from './server-build.js';

const CHILD = `
const rss = () => process.memoryUsage().rss;
const settle = () => new Promise((r) => setImmediate(r));
let big = Buffer.allocUnsafeSlow(6 << 20);
big.fill(1);
big = null;
gc(); await settle(); gc();
const start = rss();
const kept = [];
let mid = [];
for (let i = 0; i < 40; i++) {
  const b = Buffer.allocUnsafeSlow(1 << 20);
  b.fill(2);
  mid.push(b);
  kept.push(Buffer.allocUnsafeSlow(200));
}
const live = rss();
mid = null;
gc(); await settle(); gc(); await settle();
console.log(JSON.stringify({ start, live, freed: rss(), kept: kept.length }));
`;

const MIB = 1048576;

describe.skipIf(process.platform !== 'linux')('glibc malloc under npm start\'s allocator settings', () => {
  it('gives 40 MiB of freed buffers back to the system after a larger buffer was freed first', async () => {
    const env = { ...process.env, ...npmScriptEnv('start') };
    const r = await runProgram(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD], 30_000, undefined, env);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout.trim()) as { start: number; live: number; freed: number; kept: number };
    expect(m.kept).toBe(40);
    // The 40 MiB were resident while live (the measurement sees them) …
    expect(m.live - m.start).toBeGreaterThan(30 * MIB);
    // … and at most a tenth of them stays resident once freed (without fixed thresholds, all of them do).
    expect(m.freed - m.start, `RSS after freeing, with ${JSON.stringify(npmScriptEnv('start'))}`).toBeLessThan(4 * MIB);
  });
});
