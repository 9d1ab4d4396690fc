/**
 * Bytes per second on the live feed with 100 connected links, feed 1 (a full snapshot of every link
 * each second, every link's meters at 10 Hz) against feed 2 (only what changed, per client, levels
 * as compact rows), in two situations: idle links (connected, nothing flowing: only the duration
 * moves) and links carrying audio (packet counters, jitter and buffer move every second, levels
 * every 100 ms). One client of each feed listens to the same service over loopback while a fake
 * clock runs SECONDS of feed time, so the figures are the same on any machine. Printed, never asserted. `npm run bench -- live-feed`.
 */
import WebSocket from 'ws';
import type { LinkSnapshot } from '../../server/links/link-types.js';
import { makeApp, type TestApp } from '../api/memory-links.js';

const LINKS = 100;
const SECONDS = 10;
const STEP_MS = 100;

/** An Opus offer as a broadcast codec sends it: the SDP is most of a snapshot's bytes and never changes. */
const sdp = (host: string, port: number) =>
  [
    'v=0',
    `o=acip 3912345678 3912345679 IN IP4 ${host}`,
    's=acip',
    `c=IN IP4 ${host}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 111 9 8 0`,
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 maxaveragebitrate=128000;stereo=1;sprop-stereo=1;useinbandfec=1;maxplaybackrate=48000',
    'a=rtpmap:9 G722/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=ptime:20',
    'a=sendrecv',
    'a=ebuacip:jbdef 0 adaptive 40-200',
    'a=ebuacip:plength 111 20',
    '',
  ].join('\r\n');

function connectedLink(i: number): LinkSnapshot {
  const host = `192.0.2.${(i % 250) + 1}`;
  return {
    id: `l${i}`, state: 'connected', direction: i % 2 ? 'inbound' : 'outbound', remote: `sip:studio${i}@${host}`, remoteName: `Studio ${i}`,
    profile: 'opus-music-128k', permanent: i % 3 === 0, input: 'alsa:hw:0', output: 'alsa:hw:0', createdAt: '2026-12-07T03:00:00.000Z',
    connectedAt: '2026-12-07T03:00:01.250Z', durationS: 3600 + i, redials: 0,
    codec: { name: 'opus', clockRate: 48000, channels: 2, ptimeMs: 20, payloadType: 111, params: { bitrate: 128000, stereo: true, useinbandfec: 1 } },
    mediaDirection: 'sendrecv',
    rx: {
      packets: 180_000, lost: 12, late: 3, duplicates: 1, reordered: 2, lossPct: 0.01, concealedMs: 240, concealedPct: 0.007, jitterMs: 1.7,
      bufferMs: 62.5, targetBufferMs: 60, driftPpm: -3.2, underruns: 0, malformed: 0, foreignSource: 0,
    },
    tx: { packets: 180_010, bitrateKbps: 129.6, remoteLossPct: 0.02, remoteJitterMs: 2.1 },
    rttMs: 14.2,
    meters: { input: { peak: [null, null], rms: [null, null], clips: 0 }, output: { peak: [null, null], rms: [null, null], clips: 0 } },
    ebuacip: { applied: { mode: 'adaptive', minMs: 40, maxMs: 200, source: 'peer' }, theirs: ['jbdef 0 adaptive 40-200'], ours: ['jbdef 0 adaptive 40-200'] },
    localSdp: sdp('192.0.2.254', 20_000 + 2 * i),
    remoteSdp: sdp(host, 30_000 + 2 * i),
    endReason: null,
  };
}

type Step = (l: LinkSnapshot, tMs: number, i: number) => LinkSnapshot;

const round1 = (v: number) => Math.round(v * 10) / 10;

/** What moves in each situation, every STEP_MS of feed time. */
const SITUATIONS: Record<string, Step> = {
  idle: (l) => ({ ...l, durationS: round1(l.durationS + STEP_MS / 1000) }),
  audio: (l, tMs, i) => {
    const level = -18 + 6 * Math.sin(tMs / 170 + i);
    const db = (x: number) => round1(level + x);
    const rx = l.rx!;
    const tx = l.tx!;
    return {
      ...l,
      durationS: round1(l.durationS + STEP_MS / 1000),
      rx: { ...rx, packets: rx.packets + 5, jitterMs: round1(1.5 + Math.abs(Math.sin(tMs / 900 + i))), bufferMs: round1(60 + 4 * Math.sin(tMs / 1300 + i)) },
      tx: { ...tx, packets: tx.packets + 5 },
      meters: { input: { peak: [db(0), db(-1)], rms: [db(-3), db(-4)], clips: 0 }, output: { peak: [db(-2), db(-2.5)], rms: [db(-5), db(-5.5)], clips: 0 } },
    };
  },
};

interface Counted {
  bytes: number;
  messages: number;
  ticks: number;
}

async function listen(port: number, query: string): Promise<{ ws: WebSocket; counted: Counted }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/live${query}`);
  const counted: Counted = { bytes: 0, messages: 0, ticks: 0 };
  let hello = false;
  ws.on('message', (d, isBinary) => {
    const text = isBinary ? '' : String(d);
    if (!hello) {
      hello = true; // the full state on connect is the same for both feeds: count what follows
      return;
    }
    counted.bytes += Buffer.byteLength(text);
    counted.messages++;
    if (text.startsWith('{"type":"stats')) counted.ticks++;
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, counted };
}

async function measure(name: string, step: Step): Promise<{ situation: string; feed1: Counted; feed2: Counted }> {
  const t: TestApp = await makeApp();
  for (let i = 0; i < LINKS; i++) t.links.put(connectedLink(i));
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (t.app.server.address() as { port: number }).port;
  const v1 = await listen(port, '');
  const v2 = await listen(port, '?feed=2');
  await new Promise((r) => setTimeout(r, 50));
  for (let tMs = STEP_MS; tMs <= SECONDS * 1000; tMs += STEP_MS) {
    let i = 0;
    for (const [id, l] of t.links.links) t.links.links.set(id, step(l, tMs, i++));
    t.clock.advance(STEP_MS);
    await new Promise((r) => setImmediate(r));
  }
  for (let i = 0; i < 500 && (v1.counted.ticks < SECONDS || v2.counted.ticks < SECONDS); i++) await new Promise((r) => setTimeout(r, 10));
  v1.ws.close();
  v2.ws.close();
  await t.app.close();
  return { situation: name, feed1: v1.counted, feed2: v2.counted };
}

const kB = (bytes: number) => (bytes / 1024).toFixed(1);

export async function runLiveFeedBench(): Promise<void> {
  console.log(`${LINKS} connected links, ${SECONDS} s of feed time (fake clock), bytes after the hello, per second:`);
  console.log('situation   feed 1 (full)          feed 2 (changes)       feed 2 / feed 1');
  for (const [name, step] of Object.entries(SITUATIONS)) {
    const r = await measure(name, step);
    const per = (c: Counted) => `${kB(c.bytes / SECONDS).padStart(7)} kB/s ${String(c.messages / SECONDS).padStart(4)} msg/s`;
    const ratio = r.feed1.bytes ? ((100 * r.feed2.bytes) / r.feed1.bytes).toFixed(1) : '-';
    console.log(`${name.padEnd(10)}  ${per(r.feed1)}    ${per(r.feed2)}    ${ratio.padStart(5)} %`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runLiveFeedBench().then(() => process.exit(0));
