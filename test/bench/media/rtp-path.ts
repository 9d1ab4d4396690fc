/**
 * Per-packet cost of the RTP path without a codec: two MediaTransports (RTP session, SRTP stage,
 * recovery stage) on 127.0.0.1 send each other pre-encoded payloads over real loopback UDP, and each
 * packet is counted once sent and once received (socket read, SRTP, parse, RFC 3550 A.1/A.8
 * statistics, recovery stage, handed on as the jitter buffer would get it).
 *
 *   npm run bench -- rtp-path [--packets=N] [--rounds=N] [--only=SHAPE[/VARIANT]] [--top=N] [--heap=0]
 *   node --cpu-prof --import tsx test/bench/media/rtp-path.ts --only=opus/rtx --heap=0
 *
 * Both sides send a batch of BATCH packets (as 16 sessions' frames fall due together), wait until
 * the other side has them, then run a receive tick (`poll`, the NACK stage's). Shapes: Opus 20 ms
 * (320-octet payload, 128 kbit/s) and L24 5 ms stereo (1440 octets); variants: plain, RTX (NACK
 * history), RED (depth 1), SRTP (AES_CM_128_HMAC_SHA1_80) and all three.
 *
 * Figures per packet event, a packet sent or a packet received (a session's frame, full duplex, is
 * one of each, so two events):
 *  - µs CPU: process.cpuUsage() (user + system) over the loop, best of `rounds` (the least
 *    disturbed by other processes; the machine's load changes it, so read it beside `uptime`);
 *  - B heap: bytes allocated on the JS heap, from V8's sampling heap profiler with objects a
 *    scavenge collected included (a separate pass: sampling costs CPU). A sampling estimate, stable
 *    to a few percent; it does not see Buffer backing stores outside the heap (Node's 8 KiB pool
 *    slices and the socket's receive buffers), only their JS objects. `--top=N` prints the N
 *    functions that allocate most.
 *
 * Printed, never asserted.
 */
import { Session as InspectorSession } from 'node:inspector/promises';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { codecRegistry } from '../../../server/codecs/registry.js';
import type { CodecParams } from '../../../server/codecs/codec.js';
import { MediaTransport, type MediaTransportHandlers } from '../../../server/media/media-transport.js';
import type { MediaRecoveryParams, MediaSessionParams } from '../../../server/media/session-types.js';
import type { SrtpParams } from '../../../server/rtp/srtp-stage.js';
import { systemClock } from '../../../server/util/clock.js';

/** Packets each side sends per batch before waiting for the other's. */
const BATCH = 16;
/** A batch not complete after this long is given up (loss on a loaded machine), counted as lost. */
const BATCH_TIMEOUT_MS = 1000;

interface Shape {
  name: string;
  codecId: string;
  payloadType: number;
  params: CodecParams;
  payloadBytes: number;
}

const SHAPES: Shape[] = [
  { name: 'opus', codecId: 'opus', payloadType: 111, params: { sampleRate: 48000, channels: 2, ptimeMs: 20, bitrate: 128000 }, payloadBytes: 320 },
  { name: 'l24-5', codecId: 'L24', payloadType: 97, params: { sampleRate: 48000, channels: 2, ptimeMs: 5 }, payloadBytes: 1440 },
];

interface Variant {
  name: string;
  red: boolean;
  rtx: boolean;
  srtp: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'plain', red: false, rtx: false, srtp: false },
  { name: 'rtx', red: false, rtx: true, srtp: false },
  { name: 'red', red: true, rtx: false, srtp: false },
  { name: 'srtp', red: false, rtx: false, srtp: true },
  { name: 'all', red: true, rtx: true, srtp: true },
];

export interface RtpPathRow {
  shape: string;
  variant: string;
  /** Packet events per round: every packet counted once sent and once received. */
  packets: number;
  usPerPacket: number;
  heapBytesPerPacket: number;
  lost: number;
}

function arg(name: string): string | undefined {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a?.slice(name.length + 3);
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function recoveryOf(v: Variant): MediaRecoveryParams | undefined {
  if (!v.red && !v.rtx) return undefined;
  return {
    ...(v.red ? { red: { payloadType: 63, depth: 1 as const, distance: 1 } } : {}),
    ...(v.rtx ? { rtx: { payloadType: 112, rtxTimeMs: 1000 } } : {}),
  };
}

function srtpOf(v: Variant, sendKey: Buffer, receiveKey: Buffer): SrtpParams | undefined {
  if (!v.srtp) return undefined;
  const key = (k: Buffer) => ({ suite: 'AES_CM_128_HMAC_SHA1_80' as const, masterKey: k.subarray(0, 16), masterSalt: k.subarray(16, 30) });
  return { send: key(sendKey), receive: key(receiveKey) };
}

function params(shape: Shape, v: Variant, cname: string, srtp: SrtpParams | undefined): MediaSessionParams {
  const recovery = recoveryOf(v);
  return {
    linkId: 'bench',
    codecId: shape.codecId,
    payloadType: shape.payloadType,
    codecParams: { ...shape.params },
    localHost: '127.0.0.1',
    ports: { rtp: 0, rtcp: 0 },
    remote: null,
    send: true,
    receive: true,
    jitterBuffer: { mode: 'fixed', delayMs: 40 },
    input: 'silence',
    output: 'null',
    cname,
    ...(srtp ? { srtp } : {}),
    ...(recovery ? { recovery } : {}),
  };
}

/** One side: its transport and how many packets reached it. */
interface Side {
  t: MediaTransport;
  received: number;
  want: number;
  wake: (() => void) | null;
}

function handlers(side: () => Side): MediaTransportHandlers {
  return {
    packet: () => {
      const s = side();
      s.received++;
      if (s.received >= s.want && s.wake) {
        const w = s.wake;
        s.wake = null;
        w();
      }
    },
    arrived: () => {},
    bufferDelayMs: () => 40,
    bye: () => {},
    rtcp: () => {},
    latched: () => {},
    error: (e) => console.error('transport error', e),
  };
}

async function openPair(shape: Shape, v: Variant): Promise<[Side, Side]> {
  const record = codecRegistry.get(shape.codecId);
  const k1 = randomBytes(30);
  const k2 = randomBytes(30);
  const pa = params(shape, v, 'a@bench', srtpOf(v, k1, k2));
  const pb = params(shape, v, 'b@bench', srtpOf(v, k2, k1));
  const sides: Side[] = [];
  const a = await MediaTransport.open(pa, record, { clock: systemClock }, 0x1111_1111, 1000, handlers(() => sides[0]!));
  const b = await MediaTransport.open(pb, record, { clock: systemClock }, 0x2222_2222, 2000, handlers(() => sides[1]!));
  await a.update({ ...pa, remote: { address: '127.0.0.1', rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort } }, record, false);
  await b.update({ ...pb, remote: { address: '127.0.0.1', rtpPort: a.localRtpPort, rtcpPort: a.localRtcpPort } }, record, false);
  sides.push({ t: a, received: 0, want: 0, wake: null }, { t: b, received: 0, want: 0, wake: null });
  return [sides[0]!, sides[1]!];
}

function arrivedAll(s: Side): Promise<void> {
  if (s.received >= s.want) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      s.wake = null;
      resolve();
    }, BATCH_TIMEOUT_MS);
    s.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

/**
 * Runs `batches` batches both ways; returns packets lost. Timestamps carry on from `ts0` (one
 * frame's samples per packet), so the receiver sees one continuous stream across rounds.
 */
async function drive(a: Side, b: Side, payload: Buffer, samplesPerFrame: number, batches: number, ts: { v: number }): Promise<number> {
  let lost = 0;
  for (let n = 0; n < batches; n++) {
    a.want = a.received + BATCH;
    b.want = b.received + BATCH;
    for (let i = 0; i < BATCH; i++) {
      a.t.send(payload, ts.v, false);
      b.t.send(payload, ts.v, false);
      ts.v += samplesPerFrame;
    }
    await arrivedAll(a);
    await arrivedAll(b);
    lost += Math.max(0, a.want - a.received) + Math.max(0, b.want - b.received);
    // Keep the wanted count honest after a loss: the next batch waits for its own packets only.
    a.received = Math.max(a.received, a.want);
    b.received = Math.max(b.received, b.want);
    const now = systemClock.now();
    a.t.poll(now);
    b.t.poll(now);
  }
  return lost;
}

interface HeapNode {
  selfSize: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children: HeapNode[];
}

function collect(node: HeapNode, into: Map<string, number>): number {
  let total = node.selfSize;
  if (node.selfSize > 0) {
    const f = node.callFrame;
    const where = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(server|node_modules|test)\//, '$1/')}`;
    into.set(where, (into.get(where) ?? 0) + node.selfSize);
  }
  for (const c of node.children) total += collect(c, into);
  return total;
}

async function measureOne(shape: Shape, v: Variant, packetsPerSide: number, rounds: number, top: number, heap: boolean): Promise<RtpPathRow> {
  const [a, b] = await openPair(shape, v);
  const payload = randomBytes(shape.payloadBytes);
  const samplesPerFrame = (shape.params.sampleRate * shape.params.ptimeMs) / 1000;
  const batches = Math.ceil(packetsPerSide / BATCH);
  const counted = 2 * 2 * batches * BATCH; // both sides, each packet sent and received
  const ts = { v: 0 };
  let lost = await drive(a, b, payload, samplesPerFrame, Math.min(batches, 200), ts); // warm-up (JIT, probation)
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = cpuMicros();
    lost += await drive(a, b, payload, samplesPerFrame, batches, ts);
    best = Math.min(best, (cpuMicros() - t0) / counted);
  }
  if (!heap) {
    await a.t.close();
    await b.t.close();
    return { shape: shape.name, variant: v.name, packets: counted, usPerPacket: best, heapBytesPerPacket: NaN, lost };
  }
  const inspector = new InspectorSession();
  inspector.connect();
  await inspector.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
  lost += await drive(a, b, payload, samplesPerFrame, batches, ts);
  const { profile } = (await inspector.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: HeapNode } };
  inspector.disconnect();
  const sites = new Map<string, number>();
  const bytes = collect(profile.head, sites);
  if (top > 0) {
    console.log(`  ${shape.name}/${v.name}: top allocating functions, B per packet`);
    for (const [where, n] of [...sites].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`    ${(n / counted).toFixed(1).padStart(8)}  ${where}`);
  }
  await a.t.close();
  await b.t.close();
  return { shape: shape.name, variant: v.name, packets: counted, usPerPacket: best, heapBytesPerPacket: bytes / counted, lost };
}

export async function runRtpPathBench(): Promise<RtpPathRow[]> {
  const packetsPerSide = Number(arg('packets') ?? 10_000);
  const rounds = Number(arg('rounds') ?? 5);
  const only = arg('only');
  const top = Number(arg('top') ?? 0);
  // The heap pass off (`--heap=0`): for a CPU profile of the measured rounds alone.
  const heap = arg('heap') !== '0';
  const rows: RtpPathRow[] = [];
  console.log(`two MediaTransports on 127.0.0.1, ${packetsPerSide} packets each way per round in batches of ${BATCH}, best of ${rounds} rounds`);
  console.log('per packet event (one send or one receive; a full-duplex session frame is two)');
  console.log('shape   variant   µs CPU/event    B heap/event    lost');
  for (const shape of SHAPES) {
    for (const v of VARIANTS) {
      if (only && only !== `${shape.name}/${v.name}` && only !== shape.name) continue;
      const row = await measureOne(shape, v, packetsPerSide, rounds, top, heap);
      rows.push(row);
      console.log(`${row.shape.padEnd(8)}${row.variant.padEnd(10)}${row.usPerPacket.toFixed(2).padStart(14)}${row.heapBytesPerPacket.toFixed(0).padStart(16)}${String(row.lost).padStart(7)}`);
    }
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runRtpPathBench();
  process.exit(0);
}
