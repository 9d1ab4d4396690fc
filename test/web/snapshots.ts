/** Link snapshots for the panel's unit tests, built field by field like the service sends them. */
import type { LinkRxStats, LinkSnapshot } from '../../web/src/model/api-types.js';

export function rxStats(over: Partial<LinkRxStats> = {}): LinkRxStats {
  return {
    packets: 0,
    lost: 0,
    late: 0,
    duplicates: 0,
    reordered: 0,
    lossPct: 0,
    concealedMs: 0,
    concealedPct: 0,
    jitterMs: 1,
    bufferMs: 40,
    targetBufferMs: 40,
    driftPpm: 0,
    underruns: 0,
    malformed: 0,
    foreignSource: 0,
    ...over,
  };
}

export function snapshot(over: Partial<LinkSnapshot> = {}): LinkSnapshot {
  return {
    id: 'l1',
    state: 'connected',
    direction: 'outbound',
    remote: 'sip:studio@127.0.0.1',
    profile: 'opus-stereo-music',
    permanent: false,
    input: 'tone',
    output: 'null',
    createdAt: '2024-05-01T10:00:00.000Z',
    durationS: 0,
    redials: 0,
    codec: { name: 'opus', clockRate: 48000, channels: 2, ptimeMs: 20, payloadType: 111, params: {} },
    mediaDirection: 'sendrecv',
    rx: rxStats(),
    tx: { packets: 0, bitrateKbps: 128, remoteLossPct: null, remoteJitterMs: null },
    rttMs: 12,
    meters: null,
    ebuacip: null,
    localSdp: null,
    remoteSdp: null,
    endReason: null,
    ...over,
  };
}
