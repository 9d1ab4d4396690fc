/**
 * CPU cost of SRTP per link: protect + unprotect of one packet, for each suite, on an Opus-sized
 * packet (300-octet payload) and an L24 5 ms stereo packet (1440-octet payload), set against one
 * 20 ms Opus 128 kbit/s stereo encode + decode (opusscript, the codec a link runs anyway). The target
 * is SRTP adding at most 10 % per link.
 *
 *   node --import tsx test/bench/media/srtp-cost.ts
 *
 * Then the same through the link's packet path: two RTP sessions on 127.0.0.1 (send, UDP, receive,
 * parse, statistics), once in clear and once with an SRTP stage in each, CPU per packet of both,
 * and what SRTP adds as a share of a whole Opus link's packet (session path + encode + decode).
 *
 * CPU time is process.cpuUsage() (user + system) around a loop, best of nine rounds (the least
 * disturbed by other processes). Printed, never asserted. Only meaningful on a quiet machine.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { opusCodec } from '../../../server/codecs/opus.js';
import { SrtpContext } from '../../../server/rtp/srtp/srtp-context.js';
import { SRTP_SUITES, type SrtpSuiteName } from '../../../server/rtp/srtp/srtp-suite.js';
import { RtpSession } from '../../../server/rtp/rtp-session.js';
import { SrtpStage, type SrtpKeyParams } from '../../../server/rtp/srtp-stage.js';
import { systemClock } from '../../../server/util/clock.js';

const ROUNDS = 9;
const PACKETS_PER_ROUND = 10_000;
const OPUS_FRAMES_PER_ROUND = 500;

interface PacketShape {
  name: string;
  payloadBytes: number;
  packetsPerSecond: number;
}

const SHAPES: PacketShape[] = [
  { name: 'Opus 20 ms (300 B)', payloadBytes: 300, packetsPerSecond: 50 },
  { name: 'L24 5 ms stereo (1440 B)', payloadBytes: 1440, packetsPerSecond: 200 },
];

export interface SrtpCostRow {
  suite: SrtpSuiteName;
  shape: string;
  usProtect: number;
  usUnprotect: number;
  usPerPacket: number;
  percentOfOpusPacket: number;
  /** Both directions of one link for a second, as a share of one core. */
  percentOfCorePerLink: number;
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Best-of-ROUNDS CPU microseconds per call of `step(i)` over `n` calls. */
function measure(n: number, step: (i: number) => void): number {
  let best = Infinity;
  let i = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = cpuMicros();
    for (let k = 0; k < n; k++) step(i++);
    best = Math.min(best, (cpuMicros() - t0) / n);
  }
  return best;
}

interface SrtpMicros {
  protect: number;
  unprotect: number;
  both: number;
}

function srtpMicros(suite: SrtpSuiteName, payloadBytes: number): SrtpMicros {
  const s = SRTP_SUITES[suite];
  const options = { suite, masterKey: randomBytes(s.keyLength), masterSalt: randomBytes(s.saltLength) };
  const packet = Buffer.alloc(12 + payloadBytes);
  randomBytes(payloadBytes).copy(packet, 12);
  packet[0] = 0x80;
  packet[1] = 96;
  packet.writeUInt32BE(0x1234_5678, 8);
  const at = (i: number): Buffer => {
    packet.writeUInt16BE(i & 0xffff, 2);
    packet.writeUInt32BE((i * 960) >>> 0, 4);
    return packet;
  };
  // Both halves together, as a link runs them (one direction each way).
  const tx = new SrtpContext(options);
  const rx = new SrtpContext(options);
  let seq = 0;
  for (; seq < 2000; seq++) rx.unprotectRtp(tx.protectRtp(at(seq))); // warm-up
  const both = measure(PACKETS_PER_ROUND, () => rx.unprotectRtp(tx.protectRtp(at(seq++))));
  // Each half alone: protect a batch, then unprotect the same batch.
  const tx2 = new SrtpContext(options);
  const rx2 = new SrtpContext(options);
  const wires: Buffer[] = [];
  let seq2 = 0;
  const protect = measure(PACKETS_PER_ROUND, () => {
    const w = tx2.protectRtp(at(seq2++));
    if (wires.length < PACKETS_PER_ROUND * ROUNDS) wires.push(w);
  });
  let next = 0;
  const unprotect = measure(PACKETS_PER_ROUND, () => rx2.unprotectRtp(wires[next++] as Buffer));
  return { protect, unprotect, both };
}

function opusMicros(): number {
  const params = { ...opusCodec.defaultParams, sampleRate: 48000, channels: 2, ptimeMs: 20, bitrate: 128000 };
  const enc = opusCodec.createEncoder(params);
  const dec = opusCodec.createDecoder(params);
  const frame = new Float32Array(enc.samplesPerFrame * enc.channels);
  let phase = 0;
  const step = (): void => {
    for (let i = 0; i < frame.length; i += 2) {
      const v = 0.3 * Math.sin(phase) + 0.05 * (Math.random() - 0.5);
      frame[i] = v;
      frame[i + 1] = v;
      phase += (2 * Math.PI * 997) / 48000;
    }
    dec.decode(enc.encode(frame));
  };
  for (let i = 0; i < 50; i++) step();
  const us = measure(OPUS_FRAMES_PER_ROUND, step);
  enc.close();
  dec.close();
  return us;
}

const SESSION_BATCH = 200;
const SESSION_BATCHES = 25;

function keyFor(suite: SrtpSuiteName): SrtpKeyParams {
  const s = SRTP_SUITES[suite];
  return { suite, masterKey: randomBytes(s.keyLength), masterSalt: randomBytes(s.saltLength) };
}

/**
 * CPU µs per packet through two RTP sessions on loopback (A sends, B receives), in batches that wait
 * for delivery (bounded: each batch waits at most 2 s). Best batch of the run.
 */
async function sessionMicros(suite: SrtpSuiteName | null, payloadBytes: number): Promise<number> {
  const [ka, kb] = suite ? [keyFor(suite), keyFor(suite)] : [null, null];
  const open = (srtp: SrtpStage | null) =>
    RtpSession.open({ clock: systemClock, localHost: '127.0.0.1', ports: { rtp: 0, rtcp: 0 }, cname: 'bench', clockRate: 48000, payloadType: 96, rtcpMinIntervalS: 3600, ...(srtp ? { srtp } : {}) });
  const a = await open(ka && kb ? new SrtpStage({ send: ka, receive: kb }) : null);
  const b = await open(ka && kb ? new SrtpStage({ send: kb, receive: ka }) : null);
  a.setRemote({ address: '127.0.0.1', rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort });
  let received = 0;
  b.on('rtp', () => received++);
  const payload = randomBytes(payloadBytes);
  let ts = 0;
  let best = Infinity;
  for (let batch = 0; batch < SESSION_BATCHES; batch++) {
    const want = received + SESSION_BATCH;
    const t0 = cpuMicros();
    for (let k = 0; k < SESSION_BATCH; k++) a.send(payload, (ts += 960));
    const deadline = Date.now() + 2000;
    while (received < want && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    if (received >= want) best = Math.min(best, (cpuMicros() - t0) / SESSION_BATCH);
    received = want;
  }
  await Promise.all([a.close(), b.close()]);
  return best;
}

export interface SrtpLinkRow {
  suite: SrtpSuiteName;
  shape: string;
  usClear: number;
  usSrtp: number;
  /** What SRTP adds, as a share of a whole link's packet (session path + one Opus encode + decode). */
  percentAddedPerLink: number;
}

export async function runSrtpCostBench(): Promise<SrtpCostRow[]> {
  const opus = opusMicros();
  console.log(`Opus 20 ms 128 kbit/s stereo encode+decode: ${opus.toFixed(1)} µs CPU per packet`);
  const rows: SrtpCostRow[] = [];
  for (const suite of Object.keys(SRTP_SUITES) as SrtpSuiteName[]) {
    for (const shape of SHAPES) {
      const us = srtpMicros(suite, shape.payloadBytes);
      rows.push({
        suite,
        shape: shape.name,
        usProtect: us.protect,
        usUnprotect: us.unprotect,
        usPerPacket: us.both,
        percentOfOpusPacket: (100 * us.both) / opus,
        percentOfCorePerLink: (100 * us.both * shape.packetsPerSecond) / 1e6,
      });
    }
  }
  console.log('suite                     packet                      protect  unprotect   both (µs)   % of one Opus enc+dec   % of a core per link');
  for (const r of rows) {
    console.log(
      `${r.suite.padEnd(26)}${r.shape.padEnd(26)}${r.usProtect.toFixed(2).padStart(9)}${r.usUnprotect.toFixed(2).padStart(11)}${r.usPerPacket.toFixed(2).padStart(10)}${r.percentOfOpusPacket.toFixed(1).padStart(20)} %${r.percentOfCorePerLink.toFixed(3).padStart(22)} %`,
    );
  }
  const linkRows: SrtpLinkRow[] = [];
  for (const shape of SHAPES) {
    const clear = await sessionMicros(null, shape.payloadBytes);
    for (const suite of Object.keys(SRTP_SUITES) as SrtpSuiteName[]) {
      const srtp = await sessionMicros(suite, shape.payloadBytes);
      linkRows.push({ suite, shape: shape.name, usClear: clear, usSrtp: srtp, percentAddedPerLink: (100 * (srtp - clear)) / (clear + opus) });
    }
  }
  console.log('\nthrough two RTP sessions on 127.0.0.1 (send + UDP + receive), µs CPU per packet');
  console.log('suite                     packet                      clear     SRTP   added: % of the clear session path   % of an Opus link packet (session + enc + dec)');
  for (const r of linkRows) {
    const ofPath = (100 * (r.usSrtp - r.usClear)) / r.usClear;
    console.log(`${r.suite.padEnd(26)}${r.shape.padEnd(26)}${r.usClear.toFixed(2).padStart(7)}${r.usSrtp.toFixed(2).padStart(9)}${ofPath.toFixed(0).padStart(20)} %${r.percentAddedPerLink.toFixed(1).padStart(30)} %`);
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runSrtpCostBench();
}
