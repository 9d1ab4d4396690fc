/**
 * A rough CPU weight for a media session, used only to balance sessions across workers. Unit: about
 * 1 % of one core of this 2-core machine (the links-per-core benchmark measured ~1.0 % per full-duplex
 * Opus 128k c5 link and ~1.2 % at c10). Both directions are assumed to run, whatever `send`/`receive`
 * say: the link layer opens its sessions provisionally with both off and turns them on after the SDP
 * answer, so the flags at open time say nothing about the load to come.
 */
import type { MediaSessionParams } from '../session-types.js';

/** Fixed cost per packet and direction (RTP/RTCP, jitter buffer, meters, timers), % core per packet/s. */
const PER_PACKET = 0.004;

/** Codec work per direction, % of a core for 48 kHz stereo in real time (scaled by channels × rate). */
function codecWork(p: MediaSessionParams): number {
  const scale = (p.codecParams.channels * p.codecParams.sampleRate) / 96000;
  switch (p.codecId) {
    case 'opus':
      return scale * (0.25 + 0.02 * (p.codecParams.complexity ?? 9));
    case 'G722':
      return 0.2;
    default:
      // L16, L24, PCMA, PCMU: sample conversion only.
      return scale * 0.05;
  }
}

export function sessionCost(p: MediaSessionParams): number {
  const sendPps = 1000 / p.codecParams.ptimeMs;
  const recvPps = 1000 / (p.receivePtimeMs ?? p.codecParams.ptimeMs);
  return PER_PACKET * (sendPps + recvPps) + 2 * codecWork(p);
}
