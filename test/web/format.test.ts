import { describe, expect, it } from 'vitest';
import {
  formatCodec,
  formatDbfs,
  formatDuration,
  formatEndReason,
  formatJitterBuffer,
  formatMs,
  formatPct,
  formatPpm,
  formatRemote,
  liveDurationS,
} from '../../web/src/model/format.js';

describe('panel formatting', () => {
  it('formats durations as m:ss below an hour and h:mm:ss above', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(5.9)).toBe('0:05');
    expect(formatDuration(754)).toBe('12:34');
    expect(formatDuration(3600)).toBe('1:00:00');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(100 * 3600 + 61)).toBe('100:01:01');
  });

  it('shows a dash for durations that are missing, negative or not finite', () => {
    for (const v of [null, undefined, -1, NaN, Infinity]) expect(formatDuration(v)).toBe('—');
  });

  it('ticks the duration of a connected link from the time its snapshot arrived', () => {
    expect(liveDurationS(10, 1000, 3500, true)).toBe(12.5);
    expect(liveDurationS(10, 1000, 3500, false)).toBe(10);
    // A local clock that seems to run backwards never makes the duration shrink.
    expect(liveDurationS(10, 1000, 500, true)).toBe(10);
  });

  it('formats measurements with units and a dash when unknown', () => {
    expect(formatMs(12.345)).toBe('12.3 ms');
    expect(formatMs(40, 0)).toBe('40 ms');
    expect(formatMs(null)).toBe('—');
    expect(formatPct(0.254)).toBe('0.25 %');
    expect(formatPct(12.34)).toBe('12.3 %');
    expect(formatPct(undefined)).toBe('—');
    expect(formatPpm(12.34)).toBe('+12.3 ppm');
    expect(formatPpm(-3)).toBe('−3.0 ppm');
    expect(formatPpm(0)).toBe('±0.0 ppm');
  });

  it('shows digital silence (null in the API) as minus infinity dBFS', () => {
    expect(formatDbfs(null)).toBe('−∞ dBFS');
    expect(formatDbfs(-18)).toBe('−18.0 dBFS');
    expect(formatDbfs(0)).toBe('0.0 dBFS');
  });

  it('describes the negotiated codec with rate, channels, packet time and bit rate', () => {
    const codec = { name: 'opus', clockRate: 48000, channels: 2, ptimeMs: 20, payloadType: 111, params: { maxaveragebitrate: 128000 } };
    expect(formatCodec(codec)).toBe('opus · 48 kHz · 2 ch · 20 ms · 128 kbit/s');
    expect(formatCodec({ ...codec, name: 'G722', clockRate: 8000, channels: 1, params: {} })).toBe('G722 · 8 kHz · 1 ch · 20 ms');
    expect(formatCodec({ ...codec, name: 'L16', clockRate: 44100, params: {} })).toBe('L16 · 44.1 kHz · 2 ch · 20 ms');
    expect(formatCodec(null)).toBe('—');
  });

  it('describes the EBU ACIP jitter-buffer settings and where they came from', () => {
    expect(formatJitterBuffer({ applied: { mode: 'adaptive', minMs: 20, maxMs: 200, source: 'peer' }, theirs: [], ours: [] })).toBe(
      'adaptive 20–200 ms (from peer)',
    );
    expect(formatJitterBuffer({ applied: { mode: 'fixed', delayMs: 60, source: 'profile' }, theirs: [], ours: [] })).toBe('fixed 60 ms (from profile)');
    expect(formatJitterBuffer(null)).toBe('—');
  });

  it('says why a call ended, with the SIP status when there is one', () => {
    expect(formatEndReason({ by: 'remote', sipStatus: 486, reason: 'Busy Here' })).toBe('486 Busy Here — hung up by far end');
    expect(formatEndReason({ by: 'local', reason: 'user hang-up' })).toBe('user hang-up — hung up here');
    expect(formatEndReason(null)).toBe('');
  });

  it('shows a display name beside its URI', () => {
    expect(formatRemote('sip:a@b', 'Studio A')).toBe('Studio A <sip:a@b>');
    expect(formatRemote('sip:a@b')).toBe('sip:a@b');
  });
});
