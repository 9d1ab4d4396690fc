/**
 * Main-thread cost of one `/metrics` scrape and one `GET /api/links` with N = 50/100/200 links in one
 * service, as users run it: the real fastify app (process metrics on, link metrics registered as the
 * service registers them) over the real link manager, whose links are real `Link` objects that dialled
 * and were answered with real SDP. Only the far end and the media engine are fakes (test/links/fakes.ts):
 * every media session reports fixed, realistic statistics (two channels metered, SRTP drop counters,
 * loss recovery with two paths on every third link). That is enough here, because what is measured is
 * what the main thread pays to build snapshots and write them out, not the audio (which runs in worker
 * threads and is measured by `capacity`).
 *
 * Per N and route, p50/p99/max over ROUNDS requests over a kept-alive loopback HTTP connection (the
 * client in this process only counts the bytes it reads): the event-loop block per request (the longest
 * stretch in which a setImmediate ticker could not run, which is what SIP and every other request wait
 * behind) and the process CPU time the request used (what the block would be on an idle core: on a shared machine the block also holds the
 * time other processes had the core). Printed, never asserted. `npm run bench -- api-scale`
 * (`--rounds=N`, `--links=50,100,200`, `--cpu-prof-n=200` to loop scrapes for a profiler).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { buildApp } from '../../server/api/app.js';
import { createMetrics } from '../../server/metrics/metrics.js';
import { registerLinkMetrics } from '../../server/metrics/link-collectors.js';
import { loadProfiles } from '../../server/config/load-profiles.js';
import { knownCodecIds } from '../../server/codecs/known-codecs.js';
import { ROOT_DIR } from '../../server/version.js';
import { Phonebook } from '../../server/store/phonebook.js';
import { CallHistory } from '../../server/store/call-history.js';
import type { MediaSessionStats } from '../../server/media/session-types.js';
import { setup } from '../links/manager-env.js';
import { flush, peerAnswer, type FakeMediaSession } from '../links/fakes.js';

const PROFILE = 'opus-music-128k';
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

const SRTP_REASONS = ['SRTP_AUTH_FAIL', 'SRTP_REPLAY', 'SRTP_TOO_OLD', 'SRTP_MALFORMED', 'SRTP_NO_KEY', 'SRTP_SSRC_LIMIT'] as const;

/** What a worker session of a connected Opus link reports, fixed per link (`i` varies the figures). */
function realisticStats(s: FakeMediaSession, i: number): MediaSessionStats {
  const channel = (peak: number) => ({ peakDbfs: peak, rmsDbfs: peak - 3 });
  const meter = (base: number) => ({ channels: [channel(base), channel(base - 0.5)], clipEvents: i % 7 });
  const dropped = Object.fromEntries(SRTP_REASONS.map((r, k) => [r, (i + k) % 3]));
  return {
    linkId: s.linkId,
    closed: false,
    send: true,
    receive: true,
    localRtpPort: s.localRtpPort,
    localRtcpPort: s.localRtcpPort,
    rtp: {
      rx: { packets: 179_975 + i, expected: 180_000 + i, lost: 12 + (i % 5), duplicates: 1, reordered: 2, lossFraction: 0.0001, jitterMs: 1.7 + i / 1000, malformed: 0, foreignSource: 0 },
      tx: { packets: 180_010 + i },
      remoteReport: { fractionLost: 0.0002, jitterMs: 2.1 },
      srtp: { droppedByReason: dropped, rtcpDroppedByReason: { ...dropped } },
    },
    txBitrateBps: 129_600,
    rxBitrateBps: 129_600,
    rttMs: 14.2,
    jitterBuffer: { late: 3, concealedMs: 240.4, concealedPct: 0.007, currentDelayMs: 62.5, targetDelayMs: 60, driftPpm: -3.2, underruns: 0 },
    input: { meter: meter(-18 - (i % 10)) },
    output: { meter: meter(-20 - (i % 10)) },
    lastRxMs: null,
    lastRtcpRxMs: null,
    ...(i % 3 === 0
      ? {
          recovery: {
            red: true, rtx: true, duplicate: true, recoveredByRed: 7, recoveredByRtx: 11, recoveredByPath: 13, stillLost: 2, nackRequests: 15, rtxSent: 9,
            paths: [
              { received: 990, lost: 10, jitterMs: 2, remote: { address: '192.0.2.7', rtpPort: 4000 } },
              { received: 950, lost: 50, jitterMs: 3, remote: { address: '198.51.100.7', rtpPort: 4000 } },
            ],
          },
        }
      : {}),
  } as unknown as MediaSessionStats;
}

interface Scale {
  app: FastifyInstance;
  /** The link manager's snapshot list, as every route and collector takes it. */
  list: () => unknown[];
  registry: Registry;
  close: () => Promise<void>;
}

/** A service with `n` connected links and its HTTP app. */
async function serviceWith(n: number): Promise<Scale> {
  const env = setup({ config: { sip: { maxLinks: 1000 }, links: { probeIntervalS: 0 } } });
  let opened = 0;
  env.media.onOpen = (s) => {
    // As a worker session's stats(): the last object the worker pushed, the same until the next push.
    const stats = realisticStats(s, opened++);
    s.stats = () => stats;
  };
  for (let i = 0; i < n; i++) {
    env.manager.dial({ to: `sip:studio${i}@192.0.2.${(i % 250) + 1}`, profile: PROFILE, permanent: i % 4 === 0 });
    await flush();
    const call = env.ua.lastInvite;
    call.answer(peerAnswer(call.offer, PROFILE, 4000 + 2 * i));
  }
  await flush();
  const connected = env.manager.list().filter((l) => l.state === 'connected').length;
  if (connected !== n) throw new Error(`only ${connected} of ${n} links connected`);

  const dataDir = mkdtempSync(join(tmpdir(), 'acip-api-scale-'));
  const profiles = loadProfiles([join(ROOT_DIR, 'profiles')], knownCodecIds()).profiles;
  const metrics = createMetrics({ version: '1.0.0', startedAtMs: () => 0, nowMs: () => env.clock.now() });
  registerLinkMetrics(metrics.registry, { links: () => env.manager.list(), registration: () => env.manager.registration() });
  const { validateConfig } = await import('../../server/config/load-config.js');
  const app = await buildApp({
    config: validateConfig({ dataDir }),
    version: '1.0.0',
    metrics,
    profiles: () => profiles,
    nowMs: () => env.clock.now(),
    startedAtMs: 0,
    listening: () => ({ sip: ['udp:127.0.0.1:5060'], http: undefined }),
    webRoot: join(ROOT_DIR, 'web'),
    links: env.manager,
    phonebook: new Phonebook({ dataDir, profileExists: (p) => profiles.has(p), wallNow: () => env.clock.wallNow() }),
    history: new CallHistory(dataDir),
    logger: false,
    live: { clock: env.clock },
  });
  return {
    app,
    list: () => env.manager.list(),
    registry: metrics.registry,
    close: async () => {
      await app.close();
      await env.manager.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Longest gap between turns of the event loop while `fn` runs, ms. */
async function blockDuring<T>(fn: () => Promise<T>): Promise<{ value: T; blockMs: number }> {
  let last = performance.now();
  let max = 0;
  let running = true;
  const tick = () => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const value = await fn();
  running = false;
  tick();
  return { value, blockMs: max };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

function figures(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${pct(s, 50).toFixed(2)}  p99 ${pct(s, 99).toFixed(2)}  max ${s[s.length - 1]!.toFixed(2)}`;
}

/** One GET over a kept-alive loopback connection, body read and dropped; status and body size. */
function get(port: number, path: string, agent: http.Agent): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function measure(port: number, url: string, rounds: number, agent: http.Agent): Promise<{ took: number[]; block: number[]; cpu: number[]; bytes: number }> {
  const took: number[] = [];
  const block: number[] = [];
  const cpu: number[] = [];
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const { value: res, blockMs } = await blockDuring(() => get(port, url, agent));
    const used = process.cpuUsage(cpuBefore);
    took.push(performance.now() - started);
    cpu.push((used.user + used.system) / 1000);
    block.push(blockMs);
    if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
    bytes = res.bytes;
    await new Promise((r) => setImmediate(r));
  }
  return { took, block, cpu, bytes };
}

/** A service with `n` connected links, for a profiler or a breakdown of the cost. */
export { serviceWith };

/** CPU ms of `fn` per call, p50 over `rounds` calls. */
async function cpuOf(fn: () => unknown, rounds: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const before = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(before);
    out.push((used.user + used.system) / 1000);
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

export async function runApiScaleBench(): Promise<void> {
  const rounds = Number(arg('rounds') ?? 100);
  const sizes = (arg('links') ?? '50,100,200').split(',').map(Number);
  const profileN = arg('cpu-prof-n');
  if (profileN) {
    // A steady loop of scrapes for `node --cpu-prof`: nothing else runs in the profile.
    const s = await serviceWith(Number(profileN));
    for (let i = 0; i < rounds; i++) await s.app.inject({ method: 'GET', url: '/metrics' });
    for (let i = 0; i < rounds; i++) await s.app.inject({ method: 'GET', url: '/api/links' });
    await s.close();
    return;
  }
  console.log(`main-thread cost per request, ${rounds} requests each after 10 to warm up (ms); load: ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const n of sizes) {
    const s = await serviceWith(n);
    await s.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (s.app.server.address() as AddressInfo).port;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (const url of ['/metrics', '/api/links']) {
      await measure(port, url, 10, agent);
      const r = await measure(port, url, rounds, agent);
      console.log(`N=${String(n).padStart(3)}  ${url.padEnd(10)}  loop block ${figures(r.block)}  |  CPU ${figures(r.cpu)}  |  ${(r.bytes / 1024).toFixed(0)} KiB`);
    }
    const parts: [string, () => unknown][] = [
      ['snapshots (list)', s.list],
      ['registry text', () => s.registry.metrics()],
    ];
    for (const [what, fn] of parts) console.log(`N=${String(n).padStart(3)}    of which ${what.padEnd(17)} CPU ${figures(await cpuOf(fn, rounds))}`);
    agent.destroy();
    await s.close();
  }
}

if (process.argv[1]?.endsWith('api-scale.ts') || process.argv[1]?.endsWith('api-scale.js')) await runApiScaleBench();
