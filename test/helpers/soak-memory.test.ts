/**
 * The /proc parsers of the soak's memory log. The texts are captures: an excerpt of a node 20
 * process's /proc/self/smaps (the node binary, an anonymous mapping, the brk heap; per-page fields
 * trimmed) and /proc/self/smaps_rollup of `head`, Linux 6.
 */
import { describe, expect, it } from 'vitest';
import { describeSmaps, parseSmaps, parseSmapsRollup, rollupChanges, summariseSmaps } from './soak-memory.js';

const SMAPS = `00400000-00b6f000 r--p 00000000 fe:00 260689                             /usr/bin/node
Size:               7612 kB
Rss:                5948 kB
Pss:                 849 kB
Shared_Clean:       5948 kB
Shared_Dirty:          0 kB
Private_Clean:         0 kB
Private_Dirty:         0 kB
Referenced:         5948 kB
Anonymous:             0 kB
AnonHugePages:         0 kB
Swap:                  0 kB
VmFlags: rd mr mw me dw sd 
0565d000-05689000 rw-p 00000000 00:00 0 
Size:                176 kB
Rss:                  96 kB
Pss:                  96 kB
Shared_Clean:          0 kB
Shared_Dirty:          0 kB
Private_Clean:         0 kB
Private_Dirty:        96 kB
Referenced:           96 kB
Anonymous:            96 kB
AnonHugePages:         0 kB
Swap:                  0 kB
VmFlags: rd wr mr mw me ac sd 
224fd000-2279e000 rw-p 00000000 00:00 0                                  [heap]
Size:               2692 kB
Rss:                2572 kB
Pss:                2572 kB
Shared_Clean:          0 kB
Shared_Dirty:          0 kB
Private_Clean:         0 kB
Private_Dirty:      2572 kB
Referenced:         2572 kB
Anonymous:          2572 kB
AnonHugePages:         0 kB
Swap:                  0 kB
VmFlags: rd wr mr mw me ac sd `;

const ROLLUP = `5597ed643000-7ffc853d7000 ---p 00000000 00:00 0                          [rollup]
Rss:                1856 kB
Pss:                 256 kB
Pss_Dirty:           116 kB
Pss_Anon:            116 kB
Pss_File:            140 kB
Pss_Shmem:             0 kB
Shared_Clean:       1684 kB
Shared_Dirty:          0 kB
Private_Clean:        56 kB
Private_Dirty:       116 kB
Referenced:         1856 kB
Anonymous:           116 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB`;

describe('soak memory: /proc smaps parsers', () => {
  it('reads every mapping of smaps with its range, path, size, resident and anonymous kB', () => {
    expect(parseSmaps(SMAPS)).toEqual([
      { range: '00400000-00b6f000', path: '/usr/bin/node', sizeKb: 7612, rssKb: 5948, anonKb: 0 },
      { range: '0565d000-05689000', path: '', sizeKb: 176, rssKb: 96, anonKb: 96 },
      { range: '224fd000-2279e000', path: '[heap]', sizeKb: 2692, rssKb: 2572, anonKb: 2572 },
    ]);
  });

  it('splits resident memory into anonymous and file-backed pages and names the brk heap', () => {
    const s = summariseSmaps(parseSmaps(SMAPS), 1);
    expect(s).toMatchObject({ rssKb: 8616, anonKb: 2668, fileKb: 5948, brkHeapKb: 2572 });
    expect(s.largestAnon.map((m) => m.range)).toEqual(['224fd000-2279e000']);
    expect(describeSmaps(s)).toBe('rss 8.4 MB = anon 2.6 + file 5.8 (brk heap 2.5); largest anon (resident/size MB): 224fd000-2279e000 [heap] 2.5/2.6');
  });

  it.each([
    ['Rss', 1856],
    ['Anonymous', 116],
    ['Private_Dirty', 116],
    ['Swap', 0],
  ])('reads the rollup field %s as %i kB and skips the header line', (field, kb) => {
    const r = parseSmapsRollup(ROLLUP);
    expect(r.get(field)).toBe(kb);
    expect([...r.keys()].some((k) => k.includes('rollup'))).toBe(false);
  });

  it('lists only the rollup fields that changed, in MB', () => {
    const a = new Map([['Rss', 2048], ['Anonymous', 1024], ['Swap', 0]]);
    const b = new Map([['Rss', 3072], ['Anonymous', 1024], ['Swap', 0]]);
    expect(rollupChanges(a, b)).toBe('Rss 2.0 → 3.0 MB');
  });
});
