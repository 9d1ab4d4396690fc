/**
 * `npm run bench -- capacity`: sessions per box THROUGH THE SERVICE, as users run it.
 *
 * Two acip services started as `npm start` does (compiled build), A and B, on this machine, each with
 * `--media-workers` workers (default 1, so the two services share the two cores as two boxes' worth of
 * threads would). A dials N links to B over the HTTP API with a bench profile (default: Opus 128 kbit/s
 * stereo, complexity 5, 20 ms); A's input is the line-up tone, every output is `null`. Every link is two
 * full-duplex sessions on the machine (one in A, one in B), so N links = 2N sessions.
 *
 * For each N (`--links=40,60,80`) the bench waits for every link to connect, lets the buffers settle
 * (`--settle-s`, 5), then holds `--hold-s` seconds (default 60; the acceptance figure is 300) and reports:
 * - concealment over the hold: frames concealed by both ends of every link (from the links' rx
 *   `concealedMs`, read over the API before and after), and how many links concealed anything;
 * - CPU of both services (utime + stime of every thread from /proc, as a share of one core), per
 *   session, and the bare codec cost measured in this same run (opusscript encode + decode of the
 *   same frames, one direction each, in this process): the ratio is per-session CPU / bare cost;
 * - responsiveness at that load: OPTIONS round trips to B's SIP port (5 per second, p50/p99/max),
 *   `/metrics` scrape time of B (once a second), and the live feed of A (`/api/live?feed=2`): the gap
 *   between its 1 Hz stats deltas (1000 ms expected), p99 and max, and its bytes per second;
 * - admission control as each service sees it: the machine CPU busy share B reported at each scrape
 *   (p50/max), the share of scrapes B was refusing new links, and at the end of the hold each service's
 *   state and refusals so far (`acip_machine_cpu_busy_ratio`, `acip_overloaded`,
 *   `acip_links_refused_overload_total` on /metrics).
 * Then every link is hung up and both services are stopped (SIGTERM, then SIGKILL).
 *
 * Not asserted anywhere. Figures are meaningful only on a quiet machine; the load average at the
 * start and end of each step is printed beside them.
 */
import { createSocket } from 'node:dgram';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import OpusScript from 'opusscript';
import WebSocket from 'ws';
import { startAcip, type AcipProcess } from '../helpers/acip-process.js';
import { ROOT_DIR } from '../../server/version.js';

interface CapacityOptions {
  links: number[];
  holdS: number;
  settleS: number;
  mediaWorkers: number;
  codec: keyof typeof PROFILES;
}

/** Bench profiles, written to a temporary profiles directory (the shipped ones stay as they are). */
const PROFILES = {
  opus: {
    yaml: ['name: bench-opus', 'codecs:', '  - codec: opus', '    channels: 2', '    bitrate: 128000', '    complexity: 5', '    application: audio', 'ptimeMs: 20', 'title: bench Opus', 'jitterBuffer: { mode: adaptive, minMs: 20, maxMs: 160 }'],
    ptimeMs: 20,
    label: 'Opus 128 kbit/s stereo, complexity 5, 20 ms',
  },
  'l24-5': { yaml: ['name: bench-l24-5', 'codecs:', '  - codec: L24', '    channels: 2', '    sampleRate: 48000', 'ptimeMs: 5', 'title: bench L24 5 ms', 'jitterBuffer: { mode: adaptive, minMs: 10, maxMs: 80 }'], ptimeMs: 5, label: 'L24 48 kHz stereo, 5 ms' },
  'l24-1': { yaml: ['name: bench-l24-1', 'codecs:', '  - codec: L24', '    channels: 2', '    sampleRate: 48000', 'ptimeMs: 1', 'title: bench L24 1 ms', 'jitterBuffer: { mode: adaptive, minMs: 5, maxMs: 40 }'], ptimeMs: 1, label: 'L24 48 kHz stereo, 1 ms' },
} as const;

export function parseCapacityOptions(argv: string[]): CapacityOptions {
  const get = (k: string) => argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
  const num = (k: string, d: number) => {
    const v = get(k);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${k}: '${v}' is not a non-negative number`);
    return n;
  };
  const links = (get('links') ?? '40,60,80').split(',').map((s) => Number(s));
  if (links.some((n) => !Number.isInteger(n) || n < 1 || n > 400)) throw new Error(`--links: expected counts 1..400 separated by commas`);
  const codec = (get('codec') ?? 'opus') as CapacityOptions['codec'];
  if (!(codec in PROFILES)) throw new Error(`--codec: one of ${Object.keys(PROFILES).join(', ')}`);
  return { links, holdS: num('hold-s', 60), settleS: num('settle-s', 5), mediaWorkers: num('media-workers', 1), codec };
}

// ---- process CPU ---------------------------------------------------------------------------------

const CLK_TCK = 100;

/** utime + stime of the whole process (every thread), clock ticks. */
function cpuTicks(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(rest[14 - 3]) + Number(rest[15 - 3]);
}

function threadCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).length;
  } catch {
    return 0;
  }
}

// ---- API -----------------------------------------------------------------------------------------

interface LinkView {
  id: string;
  state: string;
  endReason: { reason: string } | null;
  rx: { concealedMs: number; packets: number; lost: number; late: number; underruns: number } | null;
}

async function api<T>(base: string, path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${res.status} ${text.slice(0, 200)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

const links = async (base: string) => (await api<{ links: LinkView[] }>(base, '/api/links')).links;

function sipPortOf(p: AcipProcess): number {
  for (const l of p.logs) {
    const m = typeof l.msg === 'string' ? /listening: SIP over UDP on \S+:(\d+)/.exec(l.msg) : null;
    if (m) return Number(m[1]);
  }
  throw new Error('no SIP UDP port in the log');
}

// ---- probes --------------------------------------------------------------------------------------

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');

/** OPTIONS to `port` every `everyMs` until stopped; round trips in ms, and how many got no answer within 2 s. */
function optionsProbe(port: number, everyMs: number) {
  const sock = createSocket('udp4');
  const sent = new Map<string, number>();
  const rtts: number[] = [];
  let lost = 0;
  sock.on('message', (msg) => {
    const id = /\r\nCall-ID:\s*(\S+)/i.exec(msg.toString('latin1'))?.[1];
    const t0 = id ? sent.get(id) : undefined;
    if (id && t0 !== undefined) {
      rtts.push(performance.now() - t0);
      sent.delete(id);
    }
  });
  let n = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    for (const [id, t0] of sent) if (now - t0 > 2000) (sent.delete(id), lost++);
    const callId = `cap-${randomBytes(6).toString('hex')}`;
    const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
    const { port: local } = sock.address();
    const msg =
      `OPTIONS sip:bench@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${local};branch=${branch};rport\r\nMax-Forwards: 70\r\n` +
      `From: <sip:probe@127.0.0.1>;tag=${callId}\r\nTo: <sip:bench@127.0.0.1>\r\nCall-ID: ${callId}\r\nCSeq: ${++n} OPTIONS\r\n` +
      `Accept: application/sdp\r\nContent-Length: 0\r\n\r\n`;
    sent.set(callId, now);
    sock.send(msg, port, '127.0.0.1');
  }, everyMs);
  sock.bind(0, '127.0.0.1');
  return {
    stop() {
      clearInterval(timer);
      lost += sent.size;
      sock.close();
      return { rtts, lost };
    },
  };
}

/** The value of an unlabelled series in a /metrics text; NaN when absent (or written `Nan`, as prom-client does). */
function seriesValue(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** What admission control reads and decides, from one /metrics text. */
function admissionOf(text: string) {
  return {
    machineBusy: seriesValue(text, 'acip_machine_cpu_busy_ratio'),
    overloaded: seriesValue(text, 'acip_overloaded') === 1,
    refused: seriesValue(text, 'acip_links_refused_overload_total'),
  };
}

/**
 * Time of each `/metrics` scrape (ms) once a second; the number of series in the last one; the machine
 * busy share (0..1) and whether new links were refused, at each scrape.
 */
function metricsProbe(base: string) {
  const times: number[] = [];
  const machineBusy: number[] = [];
  let overloaded = 0;
  let series = 0;
  let stopped = false;
  const run = (async () => {
    while (!stopped) {
      const t0 = performance.now();
      const text = await (await fetch(`${base}/metrics`)).text();
      times.push(performance.now() - t0);
      series = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
      const adm = admissionOf(text);
      if (Number.isFinite(adm.machineBusy)) machineBusy.push(adm.machineBusy);
      if (adm.overloaded) overloaded++;
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await run;
      return { times, series, machineBusy, overloaded };
    },
  };
}

/** Gaps between the 1 Hz stats deltas on the live feed (feed 2; levels are sent only when they change), ms. */
function feedProbe(base: string) {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/live?feed=2`);
  const gaps: number[] = [];
  let last: number | undefined;
  let bytes = 0;
  ws.on('message', (data: Buffer) => {
    bytes += data.length;
    const type = /"type":"([^"]+)"/.exec(data.toString('utf8', 0, 40))?.[1];
    if (type !== 'stats-delta') return;
    const now = performance.now();
    if (last !== undefined) gaps.push(now - last);
    last = now;
  });
  ws.on('error', () => undefined);
  const t0 = performance.now();
  return {
    stop() {
      ws.close();
      return { gaps, bytesPerS: bytes / ((performance.now() - t0) / 1000) };
    },
  };
}

// ---- bare codec cost -----------------------------------------------------------------------------

/** opusscript encode + decode of one direction's second of audio, as a share of one core (%). */
function bareOpusCostPct(): number {
  const enc = new OpusScript(48000, 2, OpusScript.Application.AUDIO);
  enc.setBitrate(128000);
  // Complexity 5 (OPUS_SET_COMPLEXITY_REQUEST = 4010), as the bench profile.
  enc.encoderCTL(4010, 5);
  const dec = new OpusScript(48000, 2, OpusScript.Application.AUDIO);
  const frame = new Int16Array(960 * 2);
  for (let i = 0; i < 960; i++) frame[2 * i] = frame[2 * i + 1] = Math.round(4000 * Math.sin((2 * Math.PI * 1000 * i) / 48000));
  const buf = Buffer.from(frame.buffer);
  for (let i = 0; i < 200; i++) dec.decode(enc.encode(buf, 960));
  const frames = 1500;
  const c0 = process.cpuUsage();
  for (let i = 0; i < frames; i++) dec.decode(enc.encode(buf, 960));
  const c = process.cpuUsage(c0);
  enc.delete();
  dec.delete();
  const cpuS = (c.user + c.system) / 1e6;
  return (cpuS / (frames * 0.02)) * 100;
}

// ---- one step ------------------------------------------------------------------------------------

async function step(asked: number, o: CapacityOptions, dir: string, barePct: number | undefined): Promise<void> {
  let n = asked;
  const prof = PROFILES[o.codec];
  const config = join(dir, 'acip.yaml');
  writeFileSync(config, ['sip:', '  maxLinks: 1000', 'links:', '  maxPerSource: 1000', '  answerPolicy: auto', ''].join('\n'));
  const common = ['--config', config, '--profiles-dir', join(dir, 'profiles'), '--media-workers', String(o.mediaWorkers), '--output', 'null'];
  const b = await startAcip([...common, '--rtp-ports', '30000-33999', '--input', 'tone:440:-18']);
  const a = await startAcip([...common, '--rtp-ports', '34000-37999', '--input', 'tone:1000:-18']);
  const load0 = loadavg()[0]!;
  try {
    const bSip = sipPortOf(b);
    // The two services' own idle cost, so the per-session figure can be given without it too.
    await new Promise((r) => setTimeout(r, 2000));
    const idle0 = { ticks: cpuTicks(a.child.pid!) + cpuTicks(b.child.pid!), t: performance.now() };
    await new Promise((r) => setTimeout(r, 5000));
    const idlePct = ((cpuTicks(a.child.pid!) + cpuTicks(b.child.pid!) - idle0.ticks) / CLK_TCK / ((performance.now() - idle0.t) / 1000)) * 100;
    const profile = prof.yaml[0]!.slice('name: '.length);
    // Dials the service refuses (503 OVERLOADED: its media budget is spent) are counted, not retried:
    // the step then measures the links it did take.
    let refused = 0;
    let refusal = '';
    for (let i = 0; i < n; i++) {
      try {
        await api(a.httpUrl, '/api/links', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ to: `sip:bench${i}@127.0.0.1:${bSip}`, profile }),
        });
      } catch (err) {
        refused++;
        refusal = (err as Error).message.slice(0, 160);
      }
      // Paced dialling: set-up is not what this bench measures.
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 200));
    }
    if (refused > 0) process.stdout.write(`  ${asked} links asked: ${refused} dials refused by A (${refusal})\n`);
    // Wait until every dialled link is connected or over (B may refuse too: 503 when its budget is spent).
    const deadline = Date.now() + 60_000 + asked * 200;
    let all = await links(a.httpUrl);
    while (Date.now() < deadline && all.some((l) => l.state !== 'connected' && l.state !== 'ended' && l.state !== 'failed')) {
      await new Promise((r) => setTimeout(r, 500));
      all = await links(a.httpUrl);
    }
    n = all.filter((l) => l.state === 'connected').length;
    if (n < asked - refused) {
      const states = all.map((l) => l.state);
      const reasons = [...new Set(all.flatMap((l) => (l.endReason ? [l.endReason.reason] : [])))].slice(0, 3);
      process.stdout.write(
        `  ${asked} links asked: ${n} connected (${[...new Set(states)].map((x) => `${x} ${states.filter((y) => y === x).length}`).join(', ')}` +
          `${reasons.length ? `; ended: ${reasons.join(' | ')}` : ''})\n`,
      );
    }
    if (n === 0) return;
    await new Promise((r) => setTimeout(r, o.settleS * 1000));
    const concealed = async () => {
      const m = new Map<string, number>();
      const sides = { a: { lost: 0, late: 0, underruns: 0, concealedMs: 0 }, b: { lost: 0, late: 0, underruns: 0, concealedMs: 0 } };
      for (const [side, base] of [['a', a.httpUrl], ['b', b.httpUrl]] as const) {
        for (const l of await links(base)) {
          m.set(`${side}:${l.id}`, l.rx?.concealedMs ?? 0);
          if (l.state !== 'connected' || !l.rx) continue;
          sides[side].lost += l.rx.lost;
          sides[side].late += l.rx.late;
          sides[side].underruns += l.rx.underruns;
          sides[side].concealedMs += l.rx.concealedMs;
        }
      }
      return Object.assign(m, { sides });
    };
    const before = await concealed();
    const cpu0 = { a: cpuTicks(a.child.pid!), b: cpuTicks(b.child.pid!), t: performance.now() };
    const options = optionsProbe(bSip, 200);
    const metrics = metricsProbe(b.httpUrl);
    const feed = feedProbe(a.httpUrl);
    await new Promise((r) => setTimeout(r, o.holdS * 1000));
    const feedR = feed.stop();
    const metricsR = await metrics.stop();
    const optR = options.stop();
    const cpu1 = { a: cpuTicks(a.child.pid!), b: cpuTicks(b.child.pid!), t: performance.now() };
    const endAdmission = async (base: string) => {
      const adm = admissionOf(await (await fetch(`${base}/metrics`)).text());
      return `${adm.overloaded ? 'refusing' : 'accepting'}, ${Number.isFinite(adm.refused) ? adm.refused : '–'} refused so far`;
    };
    const admissionA = await endAdmission(a.httpUrl);
    const admissionB = await endAdmission(b.httpUrl);
    const after = await concealed();
    const secs = (cpu1.t - cpu0.t) / 1000;
    const pct = (d: number) => (d / CLK_TCK / secs) * 100;
    const cpuA = pct(cpu1.a - cpu0.a);
    const cpuB = pct(cpu1.b - cpu0.b);
    let concealedMs = 0;
    let linksConcealing = 0;
    for (const [k, v] of after) {
      const d = v - (before.get(k) ?? 0);
      concealedMs += d;
      if (d > 0) linksConcealing++;
    }
    const audioMs = 2 * n * secs * 1000;
    const side = (k: 'a' | 'b') => {
      const d = (f: 'lost' | 'late' | 'underruns' | 'concealedMs') => after.sides[k][f] - before.sides[k][f];
      return `${k.toUpperCase()} received: concealed ${fmt(d('concealedMs') / prof.ptimeMs, 0)} frames, lost ${d('lost')}, late ${d('late')}, underruns ${d('underruns')}`;
    };
    const perSession = (cpuA + cpuB) / (2 * n);
    const marginal = Math.max(0, cpuA + cpuB - idlePct) / (2 * n);
    const ratio =
      barePct !== undefined
        ? ` = ${fmt(perSession / barePct, 2)}× the bare codec (${fmt(barePct, 2)} %); without the services' idle ${fmt(idlePct, 1)} %: ` +
          `${fmt(marginal, 2)} % = ${fmt(marginal / barePct, 2)}×`
        : `; without the services' idle ${fmt(idlePct, 1)} %: ${fmt(marginal, 2)} %`;
    process.stdout.write(
      `  ${String(n).padStart(3)} links (${2 * n} sessions), ${fmt(secs, 0)} s: concealed ${fmt(concealedMs / prof.ptimeMs, 0)} frames ` +
        `(${fmt((concealedMs / audioMs) * 100, 3)} % of the audio; ${linksConcealing} of ${2 * n} link ends concealed anything); ` +
        `CPU A ${fmt(cpuA, 0)} % + B ${fmt(cpuB, 0)} % of a core (threads ${threadCount(a.child.pid!)}/${threadCount(b.child.pid!)}), ` +
        `${fmt(perSession, 2)} % per session${ratio}\n` +
        `       OPTIONS to B: ${optR.rtts.length} answered, p50 ${fmt(quantile(optR.rtts, 0.5))} ms, p99 ${fmt(quantile(optR.rtts, 0.99))} ms, ` +
        `max ${fmt(Math.max(...optR.rtts))} ms, unanswered ${optR.lost}; /metrics of B (${metricsR.series} series): p50 ` +
        `${fmt(quantile(metricsR.times, 0.5))} ms, max ${fmt(Math.max(...metricsR.times))} ms; live feed 2 of A: 1 Hz stats deltas ${feedR.gaps.length + 1}, ` +
        `gap p50 ${fmt(quantile(feedR.gaps, 0.5), 0)} ms, p99 ${fmt(quantile(feedR.gaps, 0.99), 0)} ms, max ${fmt(Math.max(...feedR.gaps), 0)} ms, ` +
        `${fmt(feedR.bytesPerS / 1000)} kB/s; load average ${fmt(load0, 2)} → ${fmt(loadavg()[0]!, 2)}\n` +
        `       ${side('a')}; ${side('b')}\n` +
        `       admission: machine CPU busy as B saw it p50 ${fmt(quantile(metricsR.machineBusy, 0.5) * 100, 0)} %, ` +
        `max ${fmt(Math.max(...metricsR.machineBusy) * 100, 0)} %; B refusing in ${metricsR.overloaded} of ${metricsR.times.length} scrapes; ` +
        `at the end A ${admissionA}, B ${admissionB}\n`,
    );
  } finally {
    try {
      for (const l of await links(a.httpUrl)) await fetch(`${a.httpUrl}/api/links/${l.id}`, { method: 'DELETE' }).catch(() => undefined);
    } catch {
      // the service may be gone; stopping it below is what matters
    }
    await a.stop();
    await b.stop();
  }
}

export async function runCapacityBench(argv: string[] = process.argv.slice(2)): Promise<void> {
  const o = parseCapacityOptions(argv);
  const prof = PROFILES[o.codec];
  const dir = mkdtempSync(join(tmpdir(), 'acip-capacity-'));
  try {
    const profiles = join(dir, 'profiles');
    // The shipped profiles plus the bench's own (a profiles folder replaces the shipped one).
    cpSync(join(ROOT_DIR, 'profiles'), profiles, { recursive: true });
    writeFileSync(join(profiles, `${prof.yaml[0]!.slice('name: '.length)}.yaml`), [...prof.yaml, ''].join('\n'));
    const barePct = o.codec === 'opus' ? bareOpusCostPct() : undefined;
    process.stdout.write(
      `capacity through the service (two services as npm start runs them, ${o.mediaWorkers} media worker(s) each; ${prof.label}; ` +
        `hold ${o.holdS} s after ${o.settleS} s settling; tone in, null out)\n`,
    );
    if (barePct !== undefined) process.stdout.write(`  bare opusscript encode + decode, one direction, this process: ${fmt(barePct, 2)} % of a core per session\n`);
    for (const n of o.links) await step(n, o, dir, barePct);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
