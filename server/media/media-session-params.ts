/**
 * Checking a media session's parameters and deriving what they imply (receive tick, jitter-buffer
 * options). Pure: no sockets, no timers. media-session.ts re-exports the public names.
 */
import { codecRegistry } from '../codecs/registry.js';
import type { CodecRecord } from '../codecs/codec.js';
import { AcipError, isAcipError } from '../util/errors.js';
import { parseInputSpec, parseOutputSpec } from './audio-spec.js';
import type { JitterBufferOptions } from './jitter-buffer.js';
import type { MediaErrorInfo, MediaSessionParams } from './session-types.js';

export const MEDIA_SESSION_PARAMS = 'MEDIA_SESSION_PARAMS';
export const MEDIA_SESSION_CLOSED = 'MEDIA_SESSION_CLOSED';
export const DEFAULT_NO_MEDIA_TIMEOUT_MS = 5000;
/** Default receive clock period cap, ms (see media-session.ts). */
export const DEFAULT_RECEIVE_TICK_MS = 5;
/** Shortest receive clock period, ms. */
export const MIN_RECEIVE_TICK_MS = 1;

export function badParam(field: string, message: string): never {
  throw new AcipError(MEDIA_SESSION_PARAMS, message, field);
}

/** An error as plain data for the 'error' event (AcipError's code kept, anything else MEDIA_ERROR). */
export function plainError(e: unknown, where: string): MediaErrorInfo {
  if (isAcipError(e)) return { code: e.code, message: e.message, where };
  const err = e as { code?: unknown; message?: unknown };
  return { code: typeof err?.code === 'string' ? err.code : 'MEDIA_ERROR', message: String(err?.message ?? e), where };
}

/** Checks what the records and parsers below do not; returns the codec record. */
export function checkParams(p: MediaSessionParams): CodecRecord {
  if (typeof p.linkId !== 'string' || p.linkId === '') badParam('linkId', 'linkId must be a non-empty string');
  const record = codecRegistry.get(p.codecId);
  record.validate(p.codecParams);
  if (p.receivePtimeMs !== undefined) record.validate({ ...p.codecParams, ptimeMs: p.receivePtimeMs });
  if (!Number.isInteger(p.payloadType) || p.payloadType < 0 || p.payloadType > 127) badParam('payloadType', `payload type ${p.payloadType} must be 0..127`);
  const jb = p.jitterBuffer;
  if (jb.mode === 'fixed') {
    if (!(jb.delayMs >= 0 && jb.delayMs <= 10_000)) badParam('jitterBuffer.delayMs', `fixed delay ${jb.delayMs} ms outside 0..10000`);
  } else if (jb.mode === 'adaptive') {
    if (!(jb.minMs >= 0 && jb.maxMs >= jb.minMs && jb.maxMs <= 10_000)) {
      badParam('jitterBuffer', `adaptive range ${jb.minMs}-${jb.maxMs} ms must satisfy 0 <= min <= max <= 10000`);
    }
  } else badParam('jitterBuffer.mode', 'jitter buffer mode must be fixed or adaptive');
  const tick = p.receiveTickMs;
  if (tick !== undefined && !(Number.isFinite(tick) && tick >= MIN_RECEIVE_TICK_MS)) badParam('receiveTickMs', `receiveTickMs ${tick} must be at least ${MIN_RECEIVE_TICK_MS} ms`);
  const t = p.noMediaTimeoutMs;
  if (t !== undefined && !(t >= 0 && Number.isFinite(t))) badParam('noMediaTimeoutMs', `noMediaTimeoutMs ${t} must be >= 0`);
  checkRecovery(p);
  parseInputSpec(p.input);
  parseOutputSpec(p.output);
  return record;
}

/** RED and RTX payload types of their own (RFC 2198 §5, RFC 4588 §8.1), RED depth 1–2 and distance 1–3. */
function checkRecovery(p: MediaSessionParams): void {
  const r = p.recovery;
  if (!r) return;
  const pt = (v: number, field: string): void => {
    if (!Number.isInteger(v) || v < 0 || v > 127 || v === p.payloadType) badParam(field, `payload type ${v} must be 0..127 and not the codec's`);
  };
  if (r.red) {
    pt(r.red.payloadType, 'recovery.red.payloadType');
    if (r.red.depth !== 1 && r.red.depth !== 2) badParam('recovery.red.depth', 'RED depth must be 1 or 2');
    if (!(Number.isInteger(r.red.distance) && r.red.distance >= 1 && r.red.distance <= 3)) badParam('recovery.red.distance', 'RED distance must be 1..3');
  }
  if (r.rtx) {
    pt(r.rtx.payloadType, 'recovery.rtx.payloadType');
    if (r.red && r.red.payloadType === r.rtx.payloadType) badParam('recovery.rtx.payloadType', 'RED and RTX need different payload types');
    if (!(Number.isInteger(r.rtx.rtxTimeMs) && r.rtx.rtxTimeMs > 0)) badParam('recovery.rtx.rtxTimeMs', 'rtx-time must be a positive integer (ms)');
  }
}

/**
 * Sample frames per receive tick: `receiveTickMs` (default min(ptime, 5 ms)) in whole samples, never
 * more than a decoded frame and never less than 1 ms (at 1 ms packets the tick stays 1 ms; at 2.5 ms
 * Opus, 2.5 ms).
 */
export function receiveTickSamples(p: Pick<MediaSessionParams, 'receiveTickMs'>, frameSamples: number, sampleRate: number): number {
  const frameMs = (frameSamples * 1000) / sampleRate;
  const wantMs = Math.max(MIN_RECEIVE_TICK_MS, Math.min(p.receiveTickMs ?? DEFAULT_RECEIVE_TICK_MS, frameMs));
  return Math.min(frameSamples, Math.max(1, Math.round((wantMs * sampleRate) / 1000)));
}

/** The receive jitter buffer's options for these parameters and this receive tick. */
export function jitterOptions(p: MediaSessionParams, rtpClockRate: number, ptimeMs: number, pullPeriodMs: number): JitterBufferOptions {
  const jb = p.jitterBuffer;
  const samplesPerFrame = Math.round((rtpClockRate * ptimeMs) / 1000);
  const base = { ptimeMs, rtpClockRate, samplesPerFrame, pullPeriodMs: Math.min(pullPeriodMs, ptimeMs) };
  const noStretch = jb.stretch === false ? { maxShrinkFraction: 0, maxGrowFraction: 0, fastShrinkFraction: 0, driftCompensation: false } : {};
  if (jb.mode === 'fixed') {
    // Headroom above the set delay before frames are dropped as overflow (after a long outage).
    const max = jb.delayMs + Math.max(100, 4 * ptimeMs);
    return { ...base, ...noStretch, mode: 'fixed', fixedDelayMs: jb.delayMs, minDelayMs: 0, maxDelayMs: max };
  }
  return { ...base, ...noStretch, mode: 'adaptive', minDelayMs: jb.minMs, maxDelayMs: jb.maxMs };
}

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
