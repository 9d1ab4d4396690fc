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
 * included), averaged over the run.
 *
 * The receiving stage is told when each frame is played (the jitter buffer's pull grid: the
 * stage's optional `playoutAtMs`); `-- recovery --estimate` leaves it to its own estimate from
 * arrivals and the buffer delay, which is up to a packet time early.
 */
import { gilbertElliottFor, type GilbertElliottParams } from '../rtp/recovery/gilbert-elliott.js';
import { simulate } from '../rtp/recovery/link-sim.js';
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
  { name: 'Opus 128k stereo 20 ms', ptimeMs: 20, frameBytes: 320 },
  { name: 'L24 48k stereo 5 ms', ptimeMs: 5, frameBytes: 1440 },
];

const random = (l: number): GilbertElliottParams => ({ p: 0, r: 1, lossGood: l, lossBad: l });
const LOSSES: [string, GilbertElliottParams][] = [
  ['2 % bursty', gilbertElliottFor(0.02)],
  ['5 % bursty', gilbertElliottFor(0.05)],
  ['2 % random', random(0.02)],
  ['5 % random', random(0.05)],
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

export async function runRecoveryBench(args: readonly string[] = process.argv.slice(2)): Promise<void> {
  const playoutKnown = !args.includes('--estimate');
  console.log(`RTT ${RTT_MS} ms, fixed buffer ${BUFFER_MS} ms, ${SECONDS} s per row, seeds ${SEEDS.join(',')}; loss applies to each path and to the feedback path; playout time ${playoutKnown ? 'from the jitter buffer' : 'estimated from arrivals'}`);
  console.log('| codec | loss | recovery | concealed % | added delay ms | bitrate vs none | RTX + NACK kbit/s |');
  console.log('|---|---|---|---:|---:|---:|---:|');
  for (const c of CODECS) {
    for (const [lossName, loss] of LOSSES) {
      let baseOctets = 0;
      for (const [modeName, recovery] of MODES) {
        let concealed = 0;
        let played = 0;
        let octets = 0;
        let wrong = 0;
        let repair = 0;
        for (const seed of SEEDS) {
          const r = simulate({ playoutKnown, recovery, frames: (SECONDS * 1000) / c.ptimeMs, ptimeMs: c.ptimeMs, clockRate: 48000, frameBytes: c.frameBytes, rttMs: RTT_MS, bufferMs: BUFFER_MS, loss, seed });
          concealed += r.concealed;
          played += r.played;
          octets += r.forwardOctets + r.feedbackOctets;
          wrong += r.wrongContent;
          repair += r.rtxOctets + r.feedbackOctets;
        }
        if (modeName === 'none') baseOctets = octets;
        const pct = (100 * concealed) / (played + concealed);
        const extra = baseOctets > 0 ? `+${((100 * (octets - baseOctets)) / baseOctets).toFixed(1)} %` : '';
        const repairKbps = recovery.rtx ? ((repair * 8) / (SECONDS * SEEDS.length) / 1000).toFixed(1) : '';
        console.log(`| ${c.name} | ${lossName} | ${modeName} | ${pct.toFixed(3)} | ${addedDelayMs(recovery, c.ptimeMs)} | ${extra}${wrong > 0 ? ` (WRONG AUDIO ${wrong})` : ''} | ${repairKbps} |`);
        await new Promise((r) => setImmediate(r));
      }
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runRecoveryBench();
