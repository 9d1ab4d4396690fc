/**
 * Formatting for the panel: pure functions from API values to the short strings an engineer reads
 * across the room. No DOM here, so the unit tests run in node.
 */
import type { EbuAcipInfo, EndReason, LinkCodecInfo } from './api-types.js';

export const DASH = '—';

/** 5 → "0:05", 754 → "12:34", 3723 → "1:02:03". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return DASH;
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

/**
 * The duration to show now: the server's figure (sent at 1 Hz) plus the time since we received it,
 * so the clock ticks smoothly without trusting the browser's wall clock against the server's.
 */
export function liveDurationS(durationS: number, receivedAtMs: number, nowMs: number, connected: boolean): number {
  if (!connected) return durationS;
  return durationS + Math.max(0, nowMs - receivedAtMs) / 1000;
}

function num(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function formatMs(v: number | null | undefined, digits = 1): string {
  return num(v) ? `${v.toFixed(digits)} ms` : DASH;
}

/** Percentages: two decimals below 10 % (0.25 % loss matters), one above. */
export function formatPct(v: number | null | undefined): string {
  if (!num(v)) return DASH;
  return `${v < 10 ? v.toFixed(2) : v.toFixed(1)} %`;
}

export function formatPpm(v: number | null | undefined): string {
  if (!num(v)) return DASH;
  const sign = v > 0 ? '+' : v < 0 ? '−' : '±';
  return `${sign}${Math.abs(v).toFixed(1)} ppm`;
}

/** A dBFS level; null stands for −∞ (digital silence) in the API. */
export function formatDbfs(v: number | null | undefined): string {
  if (v === null || v === undefined || v === -Infinity) return '−∞ dBFS';
  if (!Number.isFinite(v)) return DASH;
  return `${v < 0 ? '−' : ''}${Math.abs(v).toFixed(1)} dBFS`;
}

export function formatRate(hz: number): string {
  return hz % 1000 === 0 ? `${hz / 1000} kHz` : `${(hz / 1000).toFixed(1)} kHz`;
}

/** "opus · 48 kHz · 2 ch · 20 ms · 128 kbit/s" */
export function formatCodec(codec: LinkCodecInfo | null | undefined): string {
  if (!codec) return DASH;
  const parts = [codec.name, formatRate(codec.clockRate), `${codec.channels} ch`, `${codec.ptimeMs} ms`];
  const br = codec.params['maxaveragebitrate'] ?? codec.params['bitrate'];
  if (typeof br === 'number' && br > 0) parts.push(`${Math.round(br / 1000)} kbit/s`);
  return parts.join(' · ');
}

/** The codec in a few characters, for a compact board row: "opus 48 kHz 2 ch". */
export function formatCodecShort(codec: LinkCodecInfo | null | undefined): string {
  if (!codec) return DASH;
  return `${codec.name} ${formatRate(codec.clockRate)} ${codec.channels} ch`;
}

/** The receive jitter buffer as negotiated (EBU Tech 3368 jbdef), and where it came from. */
export function formatJitterBuffer(ebu: EbuAcipInfo | null | undefined): string {
  if (!ebu) return DASH;
  const a = ebu.applied;
  const from = a.source === 'peer' ? 'from peer' : 'from profile';
  if (a.mode === 'fixed') return `fixed ${a.delayMs ?? '?'} ms (${from})`;
  return `adaptive ${a.minMs ?? '?'}–${a.maxMs ?? '?'} ms (${from})`;
}

const BY_WORD: Record<EndReason['by'], string> = {
  local: 'hung up here',
  remote: 'hung up by far end',
  network: 'network',
  error: 'error',
};

/** "486 Busy Here — hung up by far end" */
export function formatEndReason(r: EndReason | null | undefined): string {
  if (!r) return '';
  const status = r.sipStatus ? `${r.sipStatus} ` : '';
  return `${status}${r.reason} — ${BY_WORD[r.by] ?? r.by}`;
}

/** ISO time → "15:04:05" (local) or "2024-05-01 15:04" when not today. */
export function formatTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return DASH;
  const pad = (n: number) => String(n).padStart(2, '0');
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return sameDay ? hms : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hms}`;
}

/** A SIP URI is shown with its display name when there is one: `Studio A <sip:a@x>`. */
export function formatRemote(uri: string, name?: string | null): string {
  return name ? `${name} <${uri}>` : uri;
}
