/**
 * `npm run bench -- recovery`: concealment, added delay and bitrate of each loss-recovery tool and
 * their combinations (RED, RFC 2198; NACK + RTX, RFC 4585/4588; dual path, RFC 7198), for Opus
 * 128 kbit/s stereo (20 ms) and L24 48 kHz stereo (5 ms), at 2 % and 5 % bursty loss and 2 % random
 * loss, 40 ms RTT, a fixed 100 ms receive buffer.
 *
 * Runs the media session's own recovery stage and jitter buffer on the seeded link simulation
 * (test/rtp/recovery/link-sim.ts: virtual time, Gilbert–Elliott loss per path and on the feedback
 * path, mean bad stay 3 packets), 300 s of audio per row and seeds 1–3, so the figures are the same
 * on any machine. "Added delay" is the buffer delay the tool needs beyond plain RTP for its copies or
 * retransmissions to arrive in time: depth·distance packet times for RED, RTT + one packet time for
 * RTX, the difference of the two paths' delays for dual path (0 here). "RTX + NACK kbit/s" is what
 * retransmission costs on its own: the RTX packets forward plus the RTCP NACKs back (IP/UDP
 * included), averaged over the run; "RTX answers / copies" counts the sender's retransmissions:
 * answers to requests, and the copies it sends of early answers a packet time later (rtx.ts).
 *
 * The receiving stage is told when each frame is played (the jitter buffer's pull grid: the
 * stage's optional `playoutAtMs`); `-- recovery --estimate` leaves it to its own estimate from
 * arrivals and the buffer delay, which is up to a packet time early.
 *
 * `--codec=opus|l24`, `--loss=2b|5b|2r|5r` and `--mode=rtx` (a row's name, lower case, spaces as
 * dashes: `red-d1-+-rtx` also works as `red-d1`…) pick rows; `--trace` prints, under every RTX row,
 * each seed's per-loss timeline (test/rtp/recovery/loss-trace.ts), as `recovery-real` does in real time.
 * `--receiver-rtt=unknown` runs the receiver as a receive-only session does: RTCP gives it no RTT.
 */
import { gilbertElliottFor, type GilbertElliottParams } from '../rtp/recovery/gilbert-elliott.js';
import { simulate } from '../rtp/recovery/link-sim.js';
import { formatLossTrace, LossTrace } from '../rtp/recovery/loss-trace.js';
import type { MediaRecoveryParams } from '../../server/media/session-types.js';

const RED1 = { payloadType: 63, depth: 1 as const, distance: 1 };
const RED2 = { payloadType: 63, depth: 2 as const, distance: 1 };
const RTX = { payloadType: 112, rtxTimeMs: 1000 };
const DUP = { remote: null };

const MODES: [string, MediaRecoveryParams][] = [
  ['none', {}],
  ['RED d1', { red: RED1 }],
  ['RED d2', { red: RED2 }],
  ['RTX', { rtx: RTX }],
  ['dual path', { duplicate: DUP }],
  ['RED d1 + RTX', { red: RED1, rtx: RTX }],
  ['dual path + RTX', { duplicate: DUP, rtx: RTX }],
  ['dual path + RED d1', { duplicate: DUP, red: RED1 }],
];

const CODECS = [
  { key: 'opus', name: 'Opus 128k stereo 20 ms', ptimeMs: 20, frameBytes: 320 },
  { key: 'l24', name: 'L24 48k stereo 5 ms', ptimeMs: 5, frameBytes: 1440 },
];

const random = (l: number): GilbertElliottParams => ({ p: 0, r: 1, lossGood: l, lossBad: l });
const LOSSES: [string, GilbertElliottParams, string][] = [
  ['2 % bursty', gilbertElliottFor(0.02), '2b'],
  ['5 % bursty', gilbertElliottFor(0.05), '5b'],
  ['2 % random', random(0.02), '2r'],
  ['5 % random', random(0.05), '5r'],
];

const RTT_MS = 40;
const BUFFER_MS = 100;
const SECONDS = 300;
const SEEDS = [1, 2, 3];

function addedDelayMs(m: MediaRecoveryParams, ptimeMs: number): number {
  const red = m.red ? m.red.depth * m.red.distance * ptimeMs : 0;
  const rtx = m.rtx ? RTT_MS + ptimeMs : 0;
  return Math.max(red, rtx);
}

function modeKey(name: string): string {
  return name.toLowerCase().replace(/ /g, '-');
}

export async function runRecoveryBench(args: readonly string[] = process.argv.slice(2)): Promise<void> {
  const playoutKnown = !args.includes('--estimate');
  const trace = args.includes('--trace');
  const receiverKnowsRtt = !args.includes('--receiver-rtt=unknown');
  const pick = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const codecs = CODECS.filter((c) => (pick('codec') ?? c.key) === c.key);
  const losses = LOSSES.filter(([, , key]) => (pick('loss') ?? key) === key);
  const modes = MODES.filter(([name]) => (pick('mode') ?? modeKey(name)) === modeKey(name));
  console.log(
    `RTT ${RTT_MS} ms${receiverKnowsRtt ? '' : ' (not known to the receiver)'}, fixed buffer ${BUFFER_MS} ms, ${SECONDS} s per row, seeds ${SEEDS.join(',')}; ` +
      `loss applies to each path and to the feedback path; playout time ${playoutKnown ? 'from the jitter buffer' : 'estimated from arrivals'}`,
  );
  console.log('| codec | loss | recovery | concealed % | added delay ms | bitrate vs none | RTX + NACK kbit/s | RTX answers / copies |');
  console.log('|---|---|---|---:|---:|---:|---:|---:|');
  for (const c of codecs) {
    for (const [lossName, loss] of losses) {
      let baseOctets = 0;
      const traces: string[] = [];
      for (const [modeName, recovery] of modes) {
        let concealed = 0;
        let played = 0;
        let octets = 0;
        let wrong = 0;
        let repair = 0;
        let answers = 0;
        let copies = 0;
        for (const seed of SEEDS) {
          const t = trace && recovery.rtx ? new LossTrace() : undefined;
          const r = simulate({ playoutKnown, recovery, frames: (SECONDS * 1000) / c.ptimeMs, ptimeMs: c.ptimeMs, clockRate: 48000, frameBytes: c.frameBytes, rttMs: RTT_MS, bufferMs: BUFFER_MS, loss, seed, receiverKnowsRtt, ...(t ? { trace: t } : {}) });
          // Frame k is sent at k·ptime and played half a packet time after one way plus the buffer.
          if (t) traces.push(`  seed ${seed}: ${formatLossTrace(t.summary(RTT_MS / 2 + BUFFER_MS + c.ptimeMs / 2))}`);
          concealed += r.concealed;
          played += r.played;
          octets += r.forwardOctets + r.feedbackOctets;
          wrong += r.wrongContent;
          repair += r.rtxOctets + r.feedbackOctets;
          answers += r.senderRtx?.resent ?? 0;
          copies += r.senderRtx?.copies ?? 0;
        }
        if (modeName === 'none') baseOctets = octets;
        const pct = (100 * concealed) / (played + concealed);
        const extra = baseOctets > 0 ? `+${((100 * (octets - baseOctets)) / baseOctets).toFixed(1)} %` : '';
        const repairKbps = recovery.rtx ? ((repair * 8) / (SECONDS * SEEDS.length) / 1000).toFixed(1) : '';
        console.log(`| ${c.name} | ${lossName} | ${modeName} | ${pct.toFixed(3)} | ${addedDelayMs(recovery, c.ptimeMs)} | ${extra}${wrong > 0 ? ` (WRONG AUDIO ${wrong})` : ''} | ${repairKbps} | ${recovery.rtx ? `${answers} / ${copies}` : ''} |`);
        for (const line of traces.splice(0)) console.log(line);
        await new Promise((r) => setImmediate(r));
      }
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runRecoveryBench();
