/**
 * `npm run bench -- recovery-real [--seconds=60] [--codec=opus|l24] [--loss=2|5]`: the loss-recovery
 * table measured in real time over UDP sockets on loopback, where `npm run bench -- recovery` computes
 * it on virtual time. Two acip media sessions (the ones the service runs per link, as the acip-pair
 * interop test opens them) carry a tone through the seeded impairment relay (test/helpers/impair-relay.ts):
 * Gilbert–Elliott bursty loss at 2 % and 5 % with the simulation's model (the state moves once per
 * packet time on the wall clock, mean bad stay 3 packet times, 80 % lost in the bad state), 20 ms each
 * way (40 ms RTT), on the media path(s) and both ways on RTCP; a fixed 100 ms receive buffer. Rows: none,
 * RED depth 1 (RFC 2198), NACK + RTX (RFC 4585/4588), dual path (RFC 7198) and their combinations.
 *
 * Every figure is real time, from counters over the measured window (after a warm-up):
 *   concealed %     frames the receiver concealed (lost and underrun) / frames it played or concealed
 *   still lost %    frames concealed as lost / datagrams the first path's relay dropped (with RTX these
 *                   include lost retransmissions)
 *   buffer ms       the receive buffer's delay from the session snapshot (mean of 1 s samples)
 *   tool needs ms   the buffer delay the tool needs beyond plain RTP for its copies to arrive in time
 *                   (formula, as in the simulation: RED depth·distance packet times, RTX RTT + a packet)
 *   bitrate vs none octets through the relays (media, copies, retransmissions, RTCP both ways) against
 *                   the row without recovery
 * Only the relay's loss decisions are seeded: the timing of the sockets and of the sessions' clocks
 * is the machine's, so the figures move a little from run to run and more on a loaded machine.
 *
 * Under every RTX row a second line follows each lost packet through the relays (loss-trace.ts):
 * requests first and repeated, requests lost on the way back, retransmissions in time, late or never
 * (against the nominal playout time: send + one way + buffer + half a packet time), and the receiver's
 * own counts (recovered by RTX, RTX late), and the sender's: answers to requests, copies of early
 * answers (rtx.ts) and what retransmission costs (kbit/s, IP/UDP included). `npm run bench -- recovery --trace` prints the same line
 * for the simulation. `--mode=rtx` (a row's name, lower case, spaces as dashes) runs one row.
 */
import { MediaSession, type MediaRecoveryParams, type MediaSessionParams, type MediaSessionStats } from '../../server/media/media-session.js';
import { systemClock } from '../../server/util/clock.js';
import { ImpairRelay, type DirectionCounters, type Impairment, type RelayEvent } from '../helpers/impair-relay.js';
import { parseRtcp } from '../../server/rtp/rtcp/compound.js';
import { nackFciToSeqs } from '../../server/rtp/rtcp/feedback.js';
import { formatLossTrace, LossTrace } from '../rtp/recovery/loss-trace.js';
import { CODEC_CASES, sessionParams, sleep } from '../media/session/session-harness.js';
import { gilbertElliottFor } from '../rtp/recovery/gilbert-elliott.js';

const HOST = '127.0.0.1';
const RED1 = { payloadType: 63, depth: 1 as const, distance: 1 };
const RTX = { payloadType: 112, rtxTimeMs: 1000 };
const DUP = { localHost: HOST, remote: null };

const MODES: [string, MediaRecoveryParams][] = [
  ['none', {}],
  ['RED d1', { red: RED1 }],
  ['RTX', { rtx: RTX }],
  ['dual path', { duplicate: DUP }],
  ['RED d1 + RTX', { red: RED1, rtx: RTX }],
  ['dual path + RTX', { duplicate: DUP, rtx: RTX }],
];

const CODECS = [
  { key: 'opus', name: 'Opus 128k stereo 20 ms', codec: CODEC_CASES[0]!, redFits: true },
  // A 5 ms L24 stereo frame is 1 440 octets, past RED's 10-bit block length (RFC 2198 §3): no copies.
  { key: 'l24', name: 'L24 48k stereo 5 ms', codec: CODEC_CASES[3]!, redFits: false },
];

const LOSSES = [
  { key: '2', name: '2 % bursty', mean: 0.02 },
  { key: '5', name: '5 % bursty', mean: 0.05 },
];

const ONE_WAY_MS = 20;
const RTT_MS = 2 * ONE_WAY_MS;
const BUFFER_MS = 100;
const WARMUP_MS = 2000;
const RECEIVER_LAG_MS = ONE_WAY_MS + BUFFER_MS;
const DEFAULT_SECONDS = 60;
const IP_UDP_OCTETS = 28;

interface RowResult {
  concealedPct: number;
  stillLostPct: number;
  bufferMs: number;
  octets: number;
  relayLost: number;
  underrunFrames: number;
  recovered: string;
  /** The per-loss line, for RTX rows. */
  trace: string | undefined;
}

function arg(name: string): string | undefined {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a?.slice(name.length + 3);
}

function toolNeedsMs(m: MediaRecoveryParams, ptimeMs: number, redFits: boolean): number {
  const red = m.red && redFits ? m.red.depth * m.red.distance * ptimeMs : 0;
  const rtx = m.rtx ? RTT_MS + ptimeMs : 0;
  return Math.max(red, rtx);
}

/** The simulation's channel: one state step per packet time, on every path and on the feedback path. */
function lossFor(mean: number, ptimeMs: number): Impairment {
  return { delayMs: ONE_WAY_MS, loss: gilbertElliottFor(mean), lossSlotMs: ptimeMs };
}

function sumOctets(cs: DirectionCounters[]): number {
  return cs.reduce((n, c) => n + c.octets, 0);
}

function sumLost(cs: DirectionCounters[]): number {
  return cs.reduce((n, c) => n + c.lost, 0);
}

/**
 * Feeds a loss trace from the relays: originals (the codec's payload type) and retransmissions
 * (RTX's) on the first RTP path a→b, and the generic NACKs on RTCP b→a.
 */
function tracer(trace: LossTrace, mediaPt: number, rtxPt: number): { rtp: (e: RelayEvent) => void; rtcp: (e: RelayEvent) => void; rtxSince: (fromMs: number, toMs: number) => { packets: number; octets: number } } {
  const rtxSeen: { atMs: number; octets: number }[] = [];
  return {
    rtp: (e) => {
      if (e.dir !== 'aToB' || e.msg.length < 12) return;
      const pt = e.msg[1]! & 0x7f;
      const seq = e.msg.readUInt16BE(2);
      if (pt === mediaPt && e.event !== 'sent') trace.original(seq, e.atMs, e.event === 'lost');
      // The OSN follows a 12-octet header (no CSRCs nor extension on these streams).
      if (pt !== rtxPt || e.msg.length < 14) return;
      const osn = e.msg.readUInt16BE(12);
      if (e.event === 'sent') trace.retransmissionArrived(osn, e.atMs);
      else {
        trace.retransmission(osn, e.atMs, e.event === 'lost');
        rtxSeen.push({ atMs: e.atMs, octets: IP_UDP_OCTETS + e.msg.length });
      }
    },
    /** Retransmissions (answers and copies) that reached the relay in [fromMs, toMs), and their octets with IP/UDP. */
    rtxSince: (fromMs, toMs) => {
      const w = rtxSeen.filter((r) => r.atMs >= fromMs && r.atMs < toMs);
      return { packets: w.length, octets: w.reduce((n, r) => n + r.octets, 0) };
    },
    rtcp: (e) => {
      if (e.dir !== 'bToA' || e.event === 'sent') return;
      for (const p of parseRtcp(e.msg)) if (p.type === 'nack') trace.request(nackFciToSeqs(p.fci), e.atMs, e.event === 'lost');
    },
  };
}

/** One row: the two sessions, the relays between them, a warm-up, then `seconds` measured. */
async function runRow(codec: (typeof CODECS)[number], recovery: MediaRecoveryParams, lossy: Impairment, seed: number, seconds: number): Promise<RowResult> {
  const common: Partial<MediaSessionParams> = { recovery, jitterBuffer: { mode: 'fixed', delayMs: BUFFER_MS }, rtcp: { minIntervalS: 0.5 } };
  const a = await MediaSession.open(sessionParams(codec.codec, { ...common, linkId: 'tx', input: 'tone:1000:-18', output: 'null', receive: false }), { clock: systemClock });
  const b = await MediaSession.open(sessionParams(codec.codec, { ...common, linkId: 'rx', input: 'silence', output: 'null', send: false }), { clock: systemClock });
  const relays: ImpairRelay[] = [];
  const open = async (aPort: number, bPort: number, s: number, onEvent?: (e: RelayEvent) => void): Promise<ImpairRelay> => {
    const r = await ImpairRelay.open({ a: { address: HOST, port: aPort }, b: { address: HOST, port: bPort }, aToB: lossy, bToA: lossy, seed: s, ...(onEvent ? { onEvent } : {}) });
    relays.push(r);
    return r;
  };
  const trace = recovery.rtx ? new LossTrace() : undefined;
  const tap = trace && recovery.rtx ? tracer(trace, codec.codec.payloadType, recovery.rtx.payloadType) : undefined;
  try {
    const rtp = await open(a.localRtpPort, b.localRtpPort, seed, tap?.rtp);
    const rtcp = await open(a.localRtcpPort, b.localRtcpPort, seed + 1, tap?.rtcp);
    const dual = recovery.duplicate !== undefined;
    const portOf = (s: MediaSession): number => s.stats().recovery!.paths![1].localRtpPort;
    // The second path loses on its own (another seed), as two independent networks would.
    const path1 = dual ? await open(portOf(a), portOf(b), seed + 2) : undefined;
    await a.update({
      ...a.currentParams(),
      remote: { address: HOST, rtpPort: rtp.sideAPort, rtcpPort: rtcp.sideAPort },
      ...(path1 ? { recovery: { ...recovery, duplicate: { localHost: HOST, remote: { address: HOST, rtpPort: path1.sideAPort } } } } : {}),
    });
    await b.update({ ...b.currentParams(), remote: { address: HOST, rtpPort: rtp.sideBPort, rtcpPort: rtcp.sideBPort } });
    await sleep(WARMUP_MS);
    const countersNow = () => relays.map((r) => r.counters());
    const all = (cs: ReturnType<typeof countersNow>) => cs.flatMap((c) => [c.aToB, c.bToA]);
    // A drop shows in the receiver's counters one way and one buffer later than in the relay's:
    // read the receiver that much after the relay, so both windows hold the same packets.
    const c0 = countersNow();
    const a0 = a.stats();
    const t0 = performance.now();
    await sleep(RECEIVER_LAG_MS);
    const s0 = b.stats();
    const delays: number[] = [];
    for (let i = 0; i < seconds; i++) {
      await sleep(1000);
      delays.push(b.stats().jitterBuffer?.currentDelayMs ?? NaN);
    }
    const c1 = countersNow();
    const a1 = a.stats();
    const t1 = performance.now();
    await sleep(RECEIVER_LAG_MS);
    const s1 = b.stats();
    const jb0 = s0.jitterBuffer!;
    const jb1 = s1.jitterBuffer!;
    const concealed = jb1.concealedFrames - jb0.concealedFrames;
    const played = jb1.framesPlayed - jb0.framesPlayed;
    const stillLost = jb1.lost - jb0.lost;
    // The first path's drops (media, and retransmissions travelling with it): the same seed in every row.
    const relayLost = sumLost([c1[0]!.aToB]) - sumLost([c0[0]!.aToB]);
    // The sender's answers to requests; whatever else it retransmitted is copies of early answers (rtx.ts).
    const answers = (a1.recovery?.rtxSent ?? 0) - (a0.recovery?.rtxSent ?? 0);
    const rtx = tap?.rtxSince(t0, t1) ?? { packets: 0, octets: 0 };
    return {
      concealedPct: (100 * concealed) / Math.max(1, played + concealed),
      stillLostPct: relayLost > 0 ? (100 * stillLost) / relayLost : 0,
      bufferMs: delays.reduce((x, y) => x + y, 0) / Math.max(1, delays.length),
      octets: sumOctets(all(c1)) - sumOctets(all(c0)),
      relayLost,
      underrunFrames: jb1.underrunFrames - jb0.underrunFrames,
      recovered: ['recoveredByRed', 'recoveredByRtx', 'recoveredByPath']
        .map((k) => [k.slice('recoveredBy'.length).toLowerCase(), recoveredBy(s1, s0, k as RecoveredKey)] as const)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(', '),
      trace: trace
        ? `${formatLossTrace(trace.summary(ONE_WAY_MS + BUFFER_MS + codec.codec.params.ptimeMs / 2, t0, t1))}; ` +
          `receiver: recovered by rtx ${recoveredBy(s1, s0, 'recoveredByRtx')}, rtx late ${(s1.recovery?.rtxLate ?? 0) - (s0.recovery?.rtxLate ?? 0)}, ` +
          `NACKed numbers ${(s1.recovery?.nackRequests ?? 0) - (s0.recovery?.nackRequests ?? 0)}; ` +
          `sender: RTX answers ${answers}, copies ${rtx.packets - answers}, RTX ${((rtx.octets * 8) / (t1 - t0)).toFixed(1)} kbit/s; ` +
          `RTCP RTT at the receiver ${b.stats().rtp.rttMs?.toFixed(1) ?? 'none (it sends no SR)'}, at the sender ${a.stats().rtp.rttMs?.toFixed(1) ?? 'none'} ms`
        : undefined,
    };
  } finally {
    await a.close();
    await b.close();
    for (const r of relays) await r.close();
  }
}

type RecoveredKey = 'recoveredByRed' | 'recoveredByRtx' | 'recoveredByPath';

function recoveredBy(s1: MediaSessionStats, s0: MediaSessionStats, k: RecoveredKey): number {
  return (s1.recovery?.[k] ?? 0) - (s0.recovery?.[k] ?? 0);
}

export async function runRecoveryRealBench(): Promise<void> {
  const seconds = Number(arg('seconds') ?? DEFAULT_SECONDS);
  if (!(Number.isInteger(seconds) && seconds >= 1 && seconds <= 3600)) throw new Error(`--seconds must be an integer in [1, 3600], not ${arg('seconds')}`);
  const codecs = CODECS.filter((c) => (arg('codec') ?? c.key) === c.key);
  const losses = LOSSES.filter((l) => (arg('loss') ?? l.key) === l.key);
  const modeKey = (name: string): string => name.toLowerCase().replace(/ /g, '-');
  const modes = MODES.filter(([name]) => (arg('mode') ?? modeKey(name)) === modeKey(name));
  console.log(
    `REAL TIME over loopback UDP through the seeded impairment relay: ${ONE_WAY_MS} ms each way (RTT ${RTT_MS} ms), ` +
      `Gilbert–Elliott bursty loss (state step per packet time, mean bad stay 3 steps) on the media path(s) and both ways on RTCP, ` +
      `fixed ${BUFFER_MS} ms buffer, ${seconds} s measured per row after ${WARMUP_MS / 1000} s of warm-up.`,
  );
  console.log('All figures are measured except "tool needs ms" (a formula). Underruns come from the machine, not the network: a loaded machine raises "concealed %".');
  console.log('| codec | loss | recovery | concealed % | still lost % | buffer ms | tool needs ms | bitrate vs none | first-path drops | underrun frames | recovered |');
  console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
  let seed = 100;
  for (const c of codecs) {
    const ptimeMs = c.codec.params.ptimeMs;
    for (const l of losses) {
      let baseOctets = 0;
      seed += 10;
      for (const [modeName, recovery] of modes) {
        if (recovery.red && !c.redFits) {
          console.log(`| ${c.name} | ${l.name} | ${modeName} | no effect: a frame does not fit a RED block | | | | | | | |`);
          continue;
        }
        // The same seed for every row of a codec and loss: the relay drops the same packets of the
        // media stream (retransmissions and copies shift the draws only where they travel with it).
        const r = await runRow(c, recovery, lossFor(l.mean, ptimeMs), seed, seconds);
        if (modeName === 'none') baseOctets = r.octets;
        const extra = baseOctets > 0 && modeName !== 'none' ? `+${((100 * (r.octets - baseOctets)) / baseOctets).toFixed(1)} %` : '';
        console.log(
          `| ${c.name} | ${l.name} | ${modeName} | ${r.concealedPct.toFixed(3)} | ${r.stillLostPct.toFixed(1)} | ${r.bufferMs.toFixed(1)} | ` +
            `${toolNeedsMs(recovery, ptimeMs, c.redFits)} | ${extra} | ${r.relayLost} | ${r.underrunFrames} | ${r.recovered} |`,
        );
        if (r.trace) console.log(`  ${r.trace}`);
      }
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runRecoveryRealBench();
