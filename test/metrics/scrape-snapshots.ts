/**
 * Fixed link snapshots for the scrape-text test: every shape a link takes on the board (ringing with no
 * media, connected with and without SRTP or loss recovery, silent channels, mono and stereo, counters
 * at zero, negative or non-finite figures a broken stats source could hand over, ids that need escaping),
 * built from the index alone so the same list comes out on every run.
 */
import type { LinkSecurity, LinkSnapshot } from '../../server/links/link-types.js';
import { LINK_STATES } from '../../server/links/link-state.js';

const SRTP_REASONS = ['SRTP_AUTH_FAIL', 'SRTP_REPLAY', 'SRTP_TOO_OLD', 'SRTP_MALFORMED', 'SRTP_NO_KEY', 'SRTP_SSRC_LIMIT'];

/** An id that needs escaping in a label value once in a while (quote, backslash, newline). */
function idOf(i: number): string {
  if (i % 37 === 5) return `odd"id\\${i}`;
  if (i % 41 === 7) return `line\nbreak${i}`;
  return `l${i}-${(i * 2654435761) % 100000}`;
}

export function scrapeSnapshot(i: number): LinkSnapshot {
  const state = i % 9 === 0 ? LINK_STATES[i % LINK_STATES.length]! : 'connected';
  const media = state === 'connected' && i % 11 !== 3;
  const channels = i % 4 === 1 ? 1 : 2;
  const level = (base: number) => Array.from({ length: channels }, (_, ch) => ((i + ch) % 5 === 0 ? null : Math.round((base - ch * 0.5 - (i % 13)) * 10) / 10));
  const dropped = Object.fromEntries(SRTP_REASONS.map((r, k) => [r, (i * (k + 1)) % 4])) as NonNullable<LinkSecurity['dropped']>['rtp'];
  const weird = i % 17 === 2;
  return {
    id: idOf(i),
    state,
    direction: i % 2 ? 'inbound' : 'outbound',
    remote: `sip:studio${i}@192.0.2.${(i % 250) + 1}`,
    profile: 'opus-music-128k',
    permanent: i % 3 === 0,
    input: 'tone',
    output: 'null',
    createdAt: '2026-12-07T03:00:00.000Z',
    durationS: i,
    redials: 0,
    codec: null,
    mediaDirection: media ? 'sendrecv' : null,
    rx: media
      ? {
          packets: weird ? Number.NaN : 1000 * i, lost: weird ? -3 : i % 7, late: i % 3, duplicates: 0, reordered: 1, lossPct: 0.1,
          concealedMs: weird ? Number.POSITIVE_INFINITY : 20 * (i % 5), concealedPct: 0.01, jitterMs: (i % 10) / 3, bufferMs: 40 + (i % 20) / 4,
          targetBufferMs: 40, driftPpm: i % 6 === 0 ? -0 : -3.2 + i / 100, underruns: 0, malformed: 0, foreignSource: 0,
        }
      : null,
    tx: media ? { packets: 1000 * i + 7, bitrateKbps: 128, remoteLossPct: 0, remoteJitterMs: 1 } : null,
    rttMs: media && i % 5 !== 0 ? 10 + (i % 9) * 1.25 : null,
    meters: media ? { input: { peak: level(-18), rms: level(-21), clips: 0 }, output: { peak: level(-20), rms: level(-23), clips: i % 2 } } : null,
    ebuacip: null,
    localSdp: null,
    remoteSdp: null,
    endReason: null,
    ...(media && i % 2 === 0
      ? { security: { signalling: 'tls' as const, media: 'srtp' as const, encrypted: true, reason: '', dropped: { rtp: dropped, rtcp: { ...dropped, SRTP_REPLAY: i } } } }
      : {}),
    ...(media && i % 3 === 0
      ? {
          recovery: {
            red: true, rtx: i % 2 === 0, duplicate: i % 6 === 0, recoveredByRed: i, recoveredByRtx: 2 * i, recoveredByPath: 0, stillLost: i % 4, nackRequests: 3 * i, rtxSent: i % 9, rtxSuppressed: i % 5, rtxCopies: i % 7,
            ...(i % 6 === 0
              ? {
                  paths: [
                    { received: 1000, lost: i % 10, lossPct: (i % 10) / 10, jitterMs: 2, relativeDelayMs: -4, remote: '192.0.2.7:4000' },
                    { received: 990, lost: 50, lossPct: 4.81, jitterMs: 3, relativeDelayMs: 4, remote: null },
                  ],
                }
              : {}),
          },
        }
      : {}),
  };
}

/** Two scrapes in a row: `count` links, then the same board after some links went and others changed. */
export function scrapeBoards(count: number): [LinkSnapshot[], LinkSnapshot[]] {
  const first = Array.from({ length: count }, (_, i) => scrapeSnapshot(i));
  const second = first.filter((_, i) => i % 4 !== 1).map((l, k) => (k % 3 === 0 && l.rx ? { ...l, rx: { ...l.rx, packets: l.rx.packets + 5 }, rttMs: null } : l));
  return [first, [...second, scrapeSnapshot(count + 1)]];
}
