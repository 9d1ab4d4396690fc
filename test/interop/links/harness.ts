/**
 * Shared pieces of the link acceptance tests: the real acip service started with its own data dir
 * (test-only profiles under DATA_DIR/profiles, an optional YAML config), its SIP port read from the
 * log, small REST helpers, bounded polling, and tone measurements of WAV recordings.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAcip, type AcipProcess } from '../../helpers/acip-process.js';
import { estimateFrequency, goertzelDbfs, rmsDbfs } from '../../helpers/audio-measure.js';
import { readWav, type WavData } from '../../../server/media/wav.js';

export interface LtAcip extends AcipProcess {
  sipPort: number;
  dataDir: string;
  recDir: string;
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Stop and remove the temp folders. */
  close(): Promise<void>;
}

export interface LtAcipOptions {
  /** Extra profiles, file name → YAML text, written to DATA_DIR/profiles. */
  profiles?: Record<string, string>;
  /** YAML config text (written to DATA_DIR/../acip.yaml and passed with --config). */
  config?: string;
  args?: string[];
  /** Output spec; default `file:RECDIR/acip-{link}.wav`. */
  output?: string;
}

export async function startLtAcip(opts: LtAcipOptions = {}): Promise<LtAcip> {
  const root = mkdtempSync(join(tmpdir(), 'acip-lt-'));
  const dataDir = join(root, 'data');
  const recDir = join(root, 'rec');
  mkdirSync(join(dataDir, 'profiles'), { recursive: true });
  mkdirSync(recDir);
  for (const [name, text] of Object.entries(opts.profiles ?? {})) writeFileSync(join(dataDir, 'profiles', name), text);
  const args = [
    '--sip-host', '127.0.0.1',
    '--rtp-host', '127.0.0.1',
    '--data-dir', dataDir,
    '--output', opts.output ?? `file:${recDir}/acip-{link}.wav`,
  ];
  if (opts.config !== undefined) {
    const file = join(root, 'acip.yaml');
    writeFileSync(file, opts.config);
    args.push('--config', file);
  }
  const p = await startAcip([...args, ...(opts.args ?? [])]);
  const deadline = Date.now() + 10_000;
  let sipPort = 0;
  while (!sipPort && Date.now() < deadline) {
    for (const l of p.logs) {
      const m = /listening: SIP over UDP on [^:]+:(\d+)/.exec(String(l.msg ?? ''));
      if (m) sipPort = Number(m[1]);
    }
    if (!sipPort) await sleep(50);
  }
  if (!sipPort) {
    await p.stop();
    throw new Error('acip did not log its SIP port');
  }
  return {
    ...p,
    sipPort,
    dataDir,
    recDir,
    async api(method, path, body) {
      const res = await fetch(`${p.httpUrl}${path}`, {
        method,
        ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (CSV, empty)
      }
      return { status: res.status, body: parsed as any };
    },
    async close() {
      await p.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a truthy value, at most `ms`; returns the last value. */
export async function waitFor<T>(fn: () => Promise<T> | T, ms: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await fn();
  while (!v && Date.now() < deadline) {
    await sleep(everyMs);
    v = await fn();
  }
  return v;
}

/** Wait until GET /api/links/:id reports `state` (bounded); returns the last snapshot. */
export async function waitForLinkState(acip: LtAcip, id: string, states: string | string[], ms: number): Promise<any> {
  const want = Array.isArray(states) ? states : [states];
  let last: any;
  await waitFor(async () => {
    const r = await acip.api('GET', `/api/links/${id}`);
    last = r.body;
    return r.status === 200 && want.includes(last.state);
  }, ms);
  return last;
}

export interface ToneMeasure {
  sampleRate: number;
  channels: number;
  seconds: number;
  /** Per channel, over the analysed window. */
  rmsDbfs: number[];
  /** rms + 3.01 dB: the peak level of a sine with that RMS. */
  peakEquivDbfs: number[];
  frequencyHz: number[];
  /** Goertzel level of the expected frequency, dBFS of a sine's peak. */
  toneDbfs: number[];
}

/** Measure a tone in a WAV, skipping `skipS` at the start and using at most `windowS`. */
export function measureTone(wav: WavData, hz: number, skipS = 0.5, windowS = 2): ToneMeasure {
  const { sampleRate, channels } = wav;
  const start = Math.min(Math.floor(skipS * sampleRate), wav.frames);
  const end = Math.min(wav.frames, start + Math.floor(windowS * sampleRate));
  const x = wav.samples.subarray(start * channels, end * channels);
  const per = (f: (c: number) => number) => Array.from({ length: channels }, (_, c) => Math.round(f(c) * 100) / 100);
  const rms = per((c) => rmsDbfs(x, channels, c));
  return {
    sampleRate,
    channels,
    seconds: (end - start) / sampleRate,
    rmsDbfs: rms,
    peakEquivDbfs: rms.map((r) => Math.round((r + 3.0103) * 100) / 100),
    frequencyHz: per((c) => estimateFrequency(x, sampleRate, channels, c)),
    toneDbfs: per((c) => goertzelDbfs(x, sampleRate, hz, channels, c)),
  };
}

export function readWavFile(path: string): WavData {
  return readWav(path);
}
