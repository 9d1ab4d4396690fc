/**
 * Real-time comparison with GStreamer's rtpjitterbuffer on the same seeded trace.
 *
 * One replay sends each packet of a trace over loopback UDP as RTP (L16 mono silence with the trace's
 * sequence numbers and timestamps; the payload does not matter for timing) at its arrival time, to K
 * `gst-launch-1.0` receivers at once, one per latency setting:
 *
 *   udpsrc address=127.0.0.1 port=P caps=application/x-rtp,... ! rtpjitterbuffer latency=N mode=slave
 *     [drop-on-latency=true] ! udpsink host=127.0.0.1 port=Q sync=true processing-deadline=0
 *
 * The sink sends every packet back when the pipeline plays it (sync=true; processing-deadline=0, as
 * otherwise basesink adds 20 ms): its arrival at our socket Q is the hand-out time. Packets
 * never sent back were concealed: lost in the network if the trace lost them, else late. Scores as in
 * simulate.ts (added delay above the trace's minimum one-way delay, concealed %, JICO, events).
 * The replay's own timing error (actual − scheduled send) is reported; p99 > 1.5 ms voids the run: the
 * trace was not replayed as written. The packets sent to `extraPorts` (acip's receiver) carry their
 * actual send time in the payload, so that the receiver can tell its own error from the sender's.
 *
 * udpsrc cannot report an ephemeral port on the command line, so P is found by binding port 0 on
 * 127.0.0.1, reading the port and closing the socket just before gst-launch binds it (a short race,
 * never a fixed port). Every child process is killed by its own handle at the end.
 *
 *   npx tsx test/bench/jitter/gst-compare.ts [--profile wan] [--seed 1] [--seconds 60] [--latencies 20,40,60,100,200]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { simulateTrace } from './simulate.js';
import { generateTrace, PROFILE_NAMES, type ProfileName, type Trace } from './traces.js';

export interface GstRunOptions {
  profile: ProfileName;
  seed: number;
  seconds: number;
  latencies: number[];
  dropOnLatency?: boolean;
  /** Receivers to run instead of `latencies` × `dropOnLatency` (e.g. every latency with and without drop-on-latency). */
  configs?: { latencyMs: number; dropOnLatency: boolean }[];
  /** More loopback UDP ports that get every replayed packet too (e.g. acip's own receiver, see replay.ts). */
  extraPorts?: number[];
  /**
   * Called once the replay's start is fixed, before the first packet: `t0Abs` is the trace's time 0 as
   * performance.timeOrigin + performance.now() (comparable across processes). The replay starts
   * `leadMs` (default 300) after it.
   */
  beforeReplay?: (t0Abs: number) => void | Promise<void>;
  leadMs?: number;
  /** Print the table (default true). */
  printTable?: boolean;
  print?: (line: string) => void;
}

export interface GstRunResult {
  /** The replay's own send timing error (actual − scheduled send), ms. */
  replayErrP50: number;
  replayErrP99: number;
  replayErrMax: number;
  scores: GstScore[];
  trace: Trace;
}

export interface GstScore {
  latencyMs: number;
  dropOnLatency: boolean;
  addedMean: number;
  addedP95: number;
  addedP99: number;
  addedLast10sMean: number;
  concealedPct: number;
  lostNetPct: number;
  latePct: number;
  jicoPct: number;
  events: number;
}

/**
 * Where in the payload of the packets sent to `extraPorts` the actual send time is written (a float64,
 * big-endian, ms as performance.timeOrigin + performance.now()). GStreamer's receivers get silence.
 */
export const SENT_AT_OFFSET = 0;

function rtpPacket(seq: number, ts: number, payloadBytes: number): Buffer {
  const b = Buffer.alloc(12 + payloadBytes);
  b[0] = 0x80;
  b[1] = 96;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(ts, 4);
  b.writeUInt32BE(0x1234abcd, 8);
  return b;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;

export async function runGstCompare(opts: GstRunOptions): Promise<GstRunResult> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const trace = generateTrace({ profile: opts.profile, seed: opts.seed, seconds: opts.seconds });
  const payloadBytes = 2 * trace.samplesPerFrame; // L16 mono silence
  const back = dgram.createSocket('udp4');
  back.bind(0, '127.0.0.1');
  await once(back, 'listening');
  const backPort = back.address().port;
  const send = dgram.createSocket('udp4');
  send.bind(0, '127.0.0.1');
  await once(send, 'listening');

  interface Rx { latency: number; dropOnLatency: boolean; port: number; child: ChildProcess; got: Map<number, number> }
  const rxs: Rx[] = [];
  const children: ChildProcess[] = [];
  try {
    // Distinguish receivers by the source port of the packets they send back: one udpsink per gst.
    const byBindPort = new Map<number, Rx>();
    const configs = opts.configs ?? opts.latencies.map((latencyMs) => ({ latencyMs, dropOnLatency: opts.dropOnLatency === true }));
    for (const { latencyMs: latency, dropOnLatency } of configs) {
      const port = await freeUdpPort();
      const bindPort = await freeUdpPort();
      const caps = `application/x-rtp,media=audio,clock-rate=${trace.clockRate},encoding-name=L16,channels=1,payload=96`;
      const args = [
        'udpsrc', 'address=127.0.0.1', `port=${port}`, `caps=${caps}`, '!',
        'rtpjitterbuffer', `latency=${latency}`, 'mode=slave', `drop-on-latency=${dropOnLatency ? 'true' : 'false'}`, '!',
        'udpsink', 'host=127.0.0.1', `port=${backPort}`, `bind-port=${bindPort}`, 'sync=true', 'processing-deadline=0', 'async=false',
      ];
      const child = spawn('gst-launch-1.0', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      const rx: Rx = { latency, dropOnLatency, port, child, got: new Map() };
      rxs.push(rx);
      byBindPort.set(bindPort, rx);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`gst-launch did not start: ${out}`)), 10_000);
        const check = () => {
          if (out.includes('PLAYING')) {
            clearTimeout(t);
            resolve();
          } else setTimeout(check, 20);
        };
        check();
        child.once('exit', (code) => reject(new Error(`gst-launch exited ${code}: ${out}`)));
      });
    }
    back.on('message', (msg, rinfo) => {
      const rx = byBindPort.get(rinfo.port);
      if (!rx || msg.length < 12) return;
      const seq = msg.readUInt16BE(2);
      if (!rx.got.has(seq)) rx.got.set(seq, performance.now());
    });
    await new Promise((r) => setTimeout(r, 300));

    // Replay at arrival times.
    const events = trace.rows.filter((r) => r.arrivalMs !== null).sort((a, b) => (a.arrivalMs as number) - (b.arrivalMs as number));
    const errs: number[] = [];
    const lead = opts.leadMs ?? 300;
    const t0 = performance.now() + lead;
    await opts.beforeReplay?.(performance.timeOrigin + t0);
    const extra = opts.extraPorts ?? [];
    let i = 0;
    await new Promise<void>((resolve) => {
      const pump = () => {
        const now = performance.now() - t0;
        while (i < events.length && (events[i]!.arrivalMs as number) <= now) {
          const r = events[i++]!;
          const pkt = rtpPacket(r.seq, r.rtpTs, payloadBytes);
          for (const rx of rxs) send.send(pkt, rx.port, '127.0.0.1');
          if (extra.length > 0) {
            // acip's receiver gets the actual send time in the payload (see SENT_AT_OFFSET): its own
            // receive error is then told apart from the sender's. A copy: the send may still read `pkt`.
            const stamped = Buffer.from(pkt);
            stamped.writeDoubleBE(performance.timeOrigin + performance.now(), 12 + SENT_AT_OFFSET);
            for (const port of extra) send.send(stamped, port, '127.0.0.1');
          }
          errs.push(performance.now() - t0 - (r.arrivalMs as number));
        }
        if (i >= events.length) resolve();
        else {
          // Sleep until ~2 ms before the next packet, then yield with setImmediate (short, bounded spin)
          // to beat the ~1 ms granularity of Node timers.
          const wait = (events[i]!.arrivalMs as number) - (performance.now() - t0);
          if (wait > 3) setTimeout(pump, wait - 2);
          else setImmediate(pump);
        }
      };
      pump();
    });
    await new Promise((r) => setTimeout(r, Math.max(0, ...configs.map((c) => c.latencyMs)) + 1000));
    errs.sort((a, b) => a - b);
    const replayErrP99 = q(errs, 0.99);

    // Score.
    const arrivedSeq = new Map<number, boolean>();
    let minOwd = Infinity;
    for (const r of trace.rows) {
      if (r.flags === 'D') continue;
      arrivedSeq.set(r.index, r.arrivalMs !== null);
      if (r.arrivalMs !== null) minOwd = Math.min(minOwd, r.arrivalMs - r.sendMs);
    }
    const originals = trace.rows.filter((r) => r.flags !== 'D');
    const scores: GstScore[] = rxs.map((rx) => {
      const added: { t: number; a: number }[] = [];
      let lostNet = 0;
      let late = 0;
      let events = 0;
      let inRun = false;
      // Seq numbers are unique within these traces (shorter than 65536 packets).
      for (const r of originals) {
        const t = rx.got.get(r.seq);
        if (t !== undefined) {
          added.push({ t: t - t0, a: t - t0 - r.sendMs - minOwd });
          inRun = false;
        } else {
          if (r.arrivalMs === null) lostNet++;
          else late++;
          if (!inRun) events++;
          inRun = true;
        }
      }
      const sorted = added.map((x) => x.a).sort((a, b) => a - b);
      const lastT = added.length ? Math.max(...added.map((x) => x.t)) : 0;
      const last10 = added.filter((x) => x.t >= lastT - 10_000).map((x) => x.a);
      const n = originals.length;
      return {
        latencyMs: rx.latency,
        dropOnLatency: rx.dropOnLatency,
        addedMean: sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length),
        addedP95: q(sorted, 0.95),
        addedP99: q(sorted, 0.99),
        addedLast10sMean: last10.reduce((s, x) => s + x, 0) / Math.max(1, last10.length),
        concealedPct: (100 * (lostNet + late)) / n,
        lostNetPct: (100 * lostNet) / n,
        latePct: (100 * late) / n,
        jicoPct: (100 * late) / n,
        events,
      };
    });
    const result: GstRunResult = { replayErrP50: q(errs, 0.5), replayErrP99, replayErrMax: errs[errs.length - 1] ?? NaN, scores, trace };
    if (opts.printTable === false) return result;
    const acip = simulateTrace({ trace });
    print(`${opts.profile} seed ${opts.seed}, ${opts.seconds} s, replay timing error p50 ${q(errs, 0.5).toFixed(2)} p99 ${replayErrP99.toFixed(2)} max ${(errs[errs.length - 1] ?? NaN).toFixed(2)} ms${replayErrP99 > 1.5 ? ' (VOID: machine too busy)' : ''}`);
    print('receiver                          added mean   p95     p99     last10s  conc %  lost-net %  late %  JICO %  events');
    for (const s of scores) {
      print(`gst rtpjitterbuffer latency=${String(s.latencyMs).padEnd(4)}${s.dropOnLatency ? ' dol' : '    '}  ${s.addedMean.toFixed(1).padStart(8)}  ${s.addedP95.toFixed(1).padStart(6)}  ${s.addedP99.toFixed(1).padStart(6)}  ${s.addedLast10sMean.toFixed(1).padStart(7)}  ${s.concealedPct.toFixed(2).padStart(6)}  ${s.lostNetPct.toFixed(2).padStart(10)}  ${s.latePct.toFixed(2).padStart(6)}  ${s.jicoPct.toFixed(2).padStart(6)}  ${String(s.events).padStart(6)}`);
    }
    print(`acip adaptive (fake clock)            ${acip.addedMean.toFixed(1).padStart(8)}  ${acip.addedP95.toFixed(1).padStart(6)}  ${acip.addedP99.toFixed(1).padStart(6)}  ${acip.addedLast10sMean.toFixed(1).padStart(7)}  ${acip.concealedPct.toFixed(2).padStart(6)}  ${acip.lostNetPct.toFixed(2).padStart(10)}  ${acip.latePct.toFixed(2).padStart(6)}  ${acip.jicoPct.toFixed(2).padStart(6)}  ${String(acip.concealmentEvents).padStart(6)}`);
    print('gst concealed = packets never played (its added delay counts from the sink\'s send-back over loopback); acip JICO includes stalls.');
    return result;
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    back.close();
    send.close();
  }
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const args = process.argv.slice(2);
  const arg = (n: string) => {
    const i = args.indexOf(`--${n}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const profile = (arg('profile') ?? 'wan') as ProfileName;
  if (!PROFILE_NAMES.includes(profile)) throw new Error(`unknown profile ${profile}`);
  await runGstCompare({
    profile,
    seed: Number(arg('seed') ?? 1),
    seconds: Number(arg('seconds') ?? 60),
    latencies: (arg('latencies') ?? '20,40,60,100,200').split(',').map(Number),
    dropOnLatency: args.includes('--drop-on-latency'),
  });
}
