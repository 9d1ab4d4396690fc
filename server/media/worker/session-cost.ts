/**
 * A rough CPU weight for a media session, used only to balance sessions across workers. Unit: about
 * 1 % of one core of this 2-core machine (the links-per-core benchmark measured ~1.0 % per full-duplex
 * Opus 128k c5 link and ~1.2 % at c10).
 *
 * Each direction counts only while it runs (`send`, `receive`): the link layer opens its sessions
 * provisionally with both off (sockets, an RTCP timer, no frame clock, no codec work) and turns them
 * on after the SDP answer, and the pool re-costs a session on every update. So a provisional session,
 * like a call-flood's that hangs up before media flows, weighs almost nothing and does not push
 * carried links to another worker; its weight arrives with the update that starts its clocks. The
 * price: a burst of provisional opens lands on the worker that was least loaded at the time, and
 * the balance is restored by the opens that follow.
 */
import type { MediaSessionParams } from '../session-types.js';

/** A session with both directions off: its sockets and RTCP timer, % core. */
export const IDLE_COST = 0.02;

/** Fixed cost per packet and direction (RTP/RTCP, jitter buffer, meters, timers), % core per packet/s. */
const PER_PACKET = 0.004;

/** Codec work in one direction, % of a core for 48 kHz stereo in real time (scaled by channels × rate). */
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
  let cost = IDLE_COST;
  if (p.send) cost += PER_PACKET * (1000 / p.codecParams.ptimeMs) + codecWork(p);
  if (p.receive) cost += PER_PACKET * (1000 / (p.receivePtimeMs ?? p.codecParams.ptimeMs)) + codecWork(p);
  return cost;
}
