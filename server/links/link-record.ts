/**
 * Plain data out of a link: the snapshot the API, the live feed and the metrics read, the meters of
 * the 10 Hz feed, and the history record written once per call attempt. Pure functions of the
 * link's facts and its media statistics (no I/O, no clock: the caller passes the times).
 */
import { randomUUID } from 'node:crypto';
import { ebuAcipSetToValues } from '../sdp/ebuacip.js';
import type { NegotiatedMedia, Signalling } from '../sdp/offer-answer.js';
import { redactCryptoKeys } from '../sdp/sdes.js';
import type { MediaSessionStats } from '../media/session-types.js';
import type { CallQuality, CallRecord } from '../store/call-history.js';
import type { LinkState } from './link-state.js';
import type { LinkCodecInfo, LinkEndReason, LinkMeters, LinkRecovery, LinkSecurity, LinkSnapshot } from './link-types.js';

/** Per-call quality accumulators (history summary), sampled at 1 Hz by the manager. */
export interface QualityAcc {
  maxJitterMs: number;
  bufferSum: number;
  bufferCount: number;
  maxBufferMs: number;
}

export function emptyQuality(): QualityAcc {
  return { maxJitterMs: 0, bufferSum: 0, bufferCount: 0, maxBufferMs: 0 };
}

/** Fold one 1 Hz sample (interarrival jitter and jitter-buffer delay, ms) into the accumulators. */
export function accumulateQuality(q: QualityAcc, jitterMs: number, bufferDelayMs: number): void {
  q.maxJitterMs = Math.max(q.maxJitterMs, jitterMs);
  q.bufferSum += bufferDelayMs;
  q.bufferCount++;
  q.maxBufferMs = Math.max(q.maxBufferMs, bufferDelayMs);
}

/** The times of one call attempt: monotonic ms for durations, wall ms for records. */
export interface AttemptTimes {
  startMono: number;
  startWall: number;
  answerMono: number | undefined;
  answerWall: number | undefined;
}

/** What a link is, independent of its call: the fields both the snapshot and the record carry. */
export interface LinkFacts {
  id: string;
  direction: 'outbound' | 'inbound';
  remote: string;
  remoteName: string | undefined;
  phonebookId: string | undefined;
  profileName: string;
  redials: number;
}

function dbOrNull(v: number | undefined): number | null {
  return v === undefined || !Number.isFinite(v) || v <= -120 ? null : Math.round(v * 10) / 10;
}

function meterOf(m: MediaSessionStats['input'] | MediaSessionStats['output']): LinkMeters['input'] {
  return {
    peak: m.meter.channels.map((c) => dbOrNull(c.peakDbfs)),
    rms: m.meter.channels.map((c) => dbOrNull(c.rmsDbfs)),
    clips: m.meter.clipEvents,
  };
}

export function metersOf(s: MediaSessionStats): LinkMeters {
  return { input: meterOf(s.input), output: meterOf(s.output) };
}

/**
 * What a snapshot shows of a negotiation never changes while that negotiation holds (a re-INVITE
 * brings a new `NegotiatedMedia`), so it is built once per negotiation and shared, frozen, by every
 * snapshot taken under it: with hundreds of links, the API, the live feed and every scrape take a
 * snapshot of each link, and these parts were a large share of building one.
 */
interface NegotiationView {
  codec: LinkCodecInfo;
  ebuacip: LinkSnapshot['ebuacip'];
}
const negotiationViews = new WeakMap<NegotiatedMedia, NegotiationView>();

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

function viewOf(n: NegotiatedMedia): NegotiationView {
  let view = negotiationViews.get(n);
  if (!view) {
    view = deepFreeze({ codec: buildCodecInfo(n), ebuacip: ebuAcipOf(n) });
    negotiationViews.set(n, view);
  }
  return view;
}

export function codecInfo(n: NegotiatedMedia | undefined): LinkCodecInfo | null {
  return n ? viewOf(n).codec : null;
}

function buildCodecInfo(n: NegotiatedMedia): LinkCodecInfo {
  const params: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(n.codecParams)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') params[k] = v;
  return { name: n.encodingName, clockRate: n.rtpClockRate, channels: n.channels, ptimeMs: n.ptimeMs, payloadType: n.payloadType, params };
}

const r2 = (v: number): number => Math.round(v * 100) / 100;

function qualitySummary(q: QualityAcc, s: MediaSessionStats | undefined, redials: number): CallQuality {
  const rx = s?.rtp.rx;
  const expected = rx ? rx.expected : 0;
  return {
    lossPct: rx && expected > 0 ? r2((Math.max(0, rx.lost) / expected) * 100) : null,
    concealedPct: s?.jitterBuffer ? r2(s.jitterBuffer.concealedPct) : null,
    maxJitterMs: q.bufferCount > 0 ? r2(q.maxJitterMs) : null,
    meanBufferMs: q.bufferCount > 0 ? r2(q.bufferSum / q.bufferCount) : null,
    maxBufferMs: q.bufferCount > 0 ? r2(q.maxBufferMs) : null,
    rttMs: s?.rttMs ?? null,
    redials,
  };
}

function identity(f: LinkFacts): Pick<LinkSnapshot, 'remoteName' | 'phonebookId'> {
  return { ...(f.remoteName ? { remoteName: f.remoteName } : {}), ...(f.phonebookId ? { phonebookId: f.phonebookId } : {}) };
}

/** INVITE → 200 OK of an attempt, ms, once answered. */
export function answerDelayOf(t: AttemptTimes): number | undefined {
  return t.answerMono === undefined ? undefined : t.answerMono - t.startMono;
}

/** The history record of one finished call attempt. */
export function buildCallRecord(input: {
  facts: LinkFacts;
  times: AttemptTimes;
  nowMono: number;
  nowWall: number;
  reason: LinkEndReason;
  negotiated: NegotiatedMedia | undefined;
  stats: MediaSessionStats | undefined;
  quality: QualityAcc;
}): CallRecord {
  const { facts: f, times: t } = input;
  const delay = answerDelayOf(t);
  // Straight from the negotiation: the snapshot's frozen view of it is more than a record needs.
  const n = input.negotiated;
  return {
    id: randomUUID(),
    linkId: f.id,
    direction: f.direction,
    remote: f.remote,
    ...identity(f),
    profile: f.profileName,
    startedAt: new Date(t.startWall).toISOString(),
    ...(t.answerWall !== undefined ? { answeredAt: new Date(t.answerWall).toISOString() } : {}),
    endedAt: new Date(input.nowWall).toISOString(),
    ...(delay !== undefined ? { answerDelayMs: Math.round(delay) } : {}),
    durationS: t.answerMono !== undefined ? Math.round((input.nowMono - t.answerMono) / 100) / 10 : 0,
    answered: t.answerMono !== undefined,
    endReason: input.reason,
    ...(n ? { codec: { name: n.encodingName, clockRate: n.rtpClockRate, channels: n.channels, ptimeMs: n.ptimeMs } } : {}),
    quality: qualitySummary(input.quality, input.stats, f.redials),
  };
}

function rxOf(s: MediaSessionStats): LinkSnapshot['rx'] {
  const rx = s.rtp.rx;
  const jb = s.jitterBuffer;
  return {
    packets: rx.packets,
    lost: Math.max(0, rx.lost),
    late: jb?.late ?? 0,
    duplicates: rx.duplicates,
    reordered: rx.reordered,
    lossPct: Math.round(rx.lossFraction * 10000) / 100,
    concealedMs: Math.round(jb?.concealedMs ?? 0),
    concealedPct: r2(jb?.concealedPct ?? 0),
    jitterMs: r2(rx.jitterMs),
    bufferMs: Math.round((jb?.currentDelayMs ?? 0) * 10) / 10,
    targetBufferMs: Math.round((jb?.targetDelayMs ?? 0) * 10) / 10,
    driftPpm: Math.round((jb?.driftPpm ?? 0) * 10) / 10,
    underruns: jb?.underruns ?? 0,
    malformed: rx.malformed,
    foreignSource: rx.foreignSource,
  };
}

function txOf(s: MediaSessionStats): LinkSnapshot['tx'] {
  const report = s.rtp.remoteReport;
  return {
    packets: s.rtp.tx.packets,
    bitrateKbps: Math.round(s.txBitrateBps / 100) / 10,
    remoteLossPct: report ? Math.round(report.fractionLost * 10000) / 100 : null,
    remoteJitterMs: report ? r2(report.jitterMs) : null,
  };
}

/** Whether signalling and media are encrypted, and why not (the panel draws its lock from this). */
export function securityOf(signalling: Signalling | undefined, n: NegotiatedMedia | undefined, s: MediaSessionStats | undefined): LinkSecurity {
  const sig = signalling ?? 'clear';
  const media = n?.security?.media ?? 'rtp';
  const reasons: string[] = [];
  if (sig !== 'tls') reasons.push('signalling not encrypted: SIP without TLS');
  if (media !== 'srtp') reasons.push(n ? (n.security?.reason ?? 'media not encrypted') : 'media not negotiated yet');
  const srtp = s?.rtp.srtp;
  return {
    signalling: sig,
    media,
    ...(n?.security?.suite !== undefined ? { suite: n.security.suite } : {}),
    encrypted: reasons.length === 0,
    reason: reasons.join('; '),
    ...(srtp ? { dropped: { rtp: { ...srtp.droppedByReason }, rtcp: { ...srtp.rtcpDroppedByReason } } } : {}),
  };
}

/** Loss recovery as the panel shows it (undefined when the session runs none). */
export function recoveryOf(s: MediaSessionStats | undefined): LinkRecovery | undefined {
  const r = s?.recovery;
  if (!r) return undefined;
  const paths = r.paths?.map((p) => ({
    received: p.received,
    lost: p.lost,
    lossPct: p.received + p.lost > 0 ? Math.round((10000 * p.lost) / (p.received + p.lost)) / 100 : 0,
    jitterMs: r2(p.jitterMs),
    relativeDelayMs: p.relativeDelayMs === null ? null : r2(p.relativeDelayMs),
    remote: p.remote ? `${p.remote.address}:${p.remote.rtpPort}` : null,
  }));
  return {
    red: r.red,
    rtx: r.rtx,
    duplicate: r.duplicate,
    recoveredByRed: r.recoveredByRed,
    recoveredByRtx: r.recoveredByRtx,
    recoveredByPath: r.recoveredByPath,
    stillLost: r.stillLost,
    nackRequests: r.nackRequests,
    rtxSent: r.rtxSent,
    rtxSuppressed: r.rtxSuppressed,
    rtxCopies: r.rtxCopies,
    ...(paths ? { paths } : {}),
  };
}

function ebuAcipOf(n: NegotiatedMedia): LinkSnapshot['ebuacip'] {
  const jb = n.jitterBuffer;
  return {
    applied: { ...(jb.mode === 'fixed' ? { mode: 'fixed' as const, delayMs: jb.delayMs } : { mode: 'adaptive' as const, minMs: jb.minMs, maxMs: jb.maxMs }), source: jb.source },
    ours: ebuAcipSetToValues(n.ebuacip.ours),
    theirs: ebuAcipSetToValues(n.ebuacip.theirs),
  };
}

/** The link as the outside world sees it (see link-types.ts). */
export function buildSnapshot(input: {
  facts: LinkFacts;
  state: LinkState;
  permanent: boolean;
  input: string;
  output: string;
  createdAtWall: number;
  times: AttemptTimes;
  nowMono: number;
  negotiated: NegotiatedMedia | undefined;
  /** The signalling of the call (TLS or not), once known. */
  signalling: Signalling | undefined;
  /** Stats of an open media session, else undefined. */
  stats: MediaSessionStats | undefined;
  localSdp: string | undefined;
  remoteSdp: string | undefined;
  endReason: LinkEndReason | null;
}): LinkSnapshot {
  const { facts: f, times: t, stats: s, negotiated: n } = input;
  const connected = input.state === 'connected' && t.answerMono !== undefined;
  return {
    id: f.id,
    state: input.state,
    direction: f.direction,
    remote: f.remote,
    ...identity(f),
    profile: f.profileName,
    permanent: input.permanent,
    input: input.input,
    output: input.output,
    createdAt: new Date(input.createdAtWall).toISOString(),
    ...(connected && t.answerWall !== undefined ? { connectedAt: new Date(t.answerWall).toISOString() } : {}),
    durationS: connected ? Math.round((input.nowMono - t.answerMono!) / 100) / 10 : 0,
    redials: f.redials,
    codec: codecInfo(n),
    mediaDirection: n ? n.direction : null,
    rx: s ? rxOf(s) : null,
    tx: s ? txOf(s) : null,
    rttMs: s?.rttMs ?? null,
    meters: s ? metersOf(s) : null,
    ebuacip: n ? viewOf(n).ebuacip : null,
    // SDES keys are secrets: the bodies are shown with their a=crypto keys redacted.
    localSdp: input.localSdp === undefined ? null : redactCryptoKeys(input.localSdp),
    remoteSdp: input.remoteSdp === undefined ? null : redactCryptoKeys(input.remoteSdp),
    endReason: input.endReason,
    security: securityOf(input.signalling, n, s),
    ...(s?.recovery ? { recovery: recoveryOf(s)! } : {}),
  };
}
