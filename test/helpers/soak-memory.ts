/**
 * Where a process's resident memory lies, from Linux's /proc/PID/smaps_rollup and /proc/PID/smaps
 * (proc(5)): the soak logs it beside its RSS readings, so growth can be told apart by kind — anonymous
 * pages (malloc arenas, V8's heap pages, WebAssembly memories, thread stacks) against file-backed ones
 * (the node binary, shared libraries) — and the largest anonymous mappings named by address range.
 * Pure parsers over the text, and one reader.
 */
import { readFileSync } from 'node:fs';

/** smaps_rollup's "Name:   123 kB" fields, kB (the header line with the address range is skipped). */
export function parseSmapsRollup(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_]+):\s+(\d+) kB$/.exec(line.trim());
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

export interface Mapping {
  /** "7f12a0000000-7f12a4000000". */
  range: string;
  /** Bytes of address space. */
  sizeKb: number;
  /** The file, "[heap]", "[stack]", … or '' for an anonymous mapping. */
  path: string;
  rssKb: number;
  anonKb: number;
}

const MAPPING_HEADER = /^([0-9a-f]+-[0-9a-f]+)\s+\S+\s+\S+\s+\S+\s+(\d+)\s*(.*)$/;

/** /proc/PID/smaps: one entry per mapping, with its Size, Rss and Anonymous fields. */
export function parseSmaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  let cur: Mapping | undefined;
  for (const line of text.split('\n')) {
    const h = MAPPING_HEADER.exec(line);
    if (h) {
      cur = { range: h[1]!, sizeKb: 0, path: h[3]!.trim(), rssKb: 0, anonKb: 0 };
      out.push(cur);
      continue;
    }
    const f = /^(Size|Rss|Anonymous):\s+(\d+) kB$/.exec(line.trim());
    if (!f || !cur) continue;
    if (f[1] === 'Size') cur.sizeKb = Number(f[2]);
    else if (f[1] === 'Rss') cur.rssKb = Number(f[2]);
    else cur.anonKb = Number(f[2]);
  }
  return out;
}

export interface SmapsSummary {
  rssKb: number;
  /** Resident anonymous pages, and resident file-backed pages (Rss − Anonymous), kB. */
  anonKb: number;
  fileKb: number;
  /** The brk heap (glibc's main arena), kB resident. */
  brkHeapKb: number;
  /** Anonymous mappings by resident size, largest first. */
  largestAnon: Mapping[];
}

export function summariseSmaps(maps: Mapping[], top: number): SmapsSummary {
  let rssKb = 0;
  let anonKb = 0;
  let brkHeapKb = 0;
  for (const m of maps) {
    rssKb += m.rssKb;
    anonKb += m.anonKb;
    if (m.path === '[heap]') brkHeapKb += m.rssKb;
  }
  const largestAnon = maps.filter((m) => m.anonKb > 0).sort((x, y) => y.anonKb - x.anonKb).slice(0, top);
  return { rssKb, anonKb, fileKb: rssKb - anonKb, brkHeapKb, largestAnon };
}

const mbOfKb = (kb: number) => (kb / 1024).toFixed(1);

/** "rss 158.2 MB = anon 120.3 + file 37.9 (brk heap 30.1); largest anon: 7f..-7f.. 32.0/64.0 MB, …". */
export function describeSmaps(s: SmapsSummary): string {
  return `rss ${mbOfKb(s.rssKb)} MB = anon ${mbOfKb(s.anonKb)} + file ${mbOfKb(s.fileKb)} (brk heap ${mbOfKb(s.brkHeapKb)}); ` +
    `largest anon (resident/size MB): ${s.largestAnon.map((m) => `${m.range}${m.path ? ` ${m.path}` : ''} ${mbOfKb(m.anonKb)}/${mbOfKb(m.sizeKb)}`).join(', ')}`;
}

/** Read a live process's maps (Linux only); undefined where /proc is not there to read. */
export function readProcessMemory(pid: number, top = 8): { rollup: Map<string, number>; summary: SmapsSummary } | undefined {
  try {
    return {
      rollup: parseSmapsRollup(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')),
      summary: summariseSmaps(parseSmaps(readFileSync(`/proc/${pid}/smaps`, 'utf8')), top),
    };
  } catch {
    return undefined;
  }
}

/** Each rollup field that changed, "Anonymous 120.3 → 131.0 MB" (fields in kB in, MB out). */
export function rollupChanges(before: Map<string, number>, after: Map<string, number>): string {
  const rows: string[] = [];
  for (const [k, v0] of before) {
    const v1 = after.get(k) ?? 0;
    if (v1 !== v0) rows.push(`${k} ${mbOfKb(v0)} → ${mbOfKb(v1)}`);
  }
  return rows.join(', ') + ' MB';
}
