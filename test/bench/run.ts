/**
 * `npm run bench [-- NAME …]`: acip's benchmarks, printed, never asserted (tests never assert timings).
 *
 *   sip       session establishment rate (RFC 7501) with sipp against the bare user agent (fixed SDP), and baresip
 *   sip-service  the same through the whole service as npm start runs it (SDP, media, history per call),
 *             beside baresip; --rates= --step-s= --warm-up-s= --cpu-prof --media-workers= --keep-going
 *   sip-tls   OPTIONS round trips per second over one TLS connection against one TCP connection
 *   srtp      CPU per SRTP protect+unprotect against one Opus encode+decode
 *   latency   input → output latency through two media sessions on loopback
 *   links     full-duplex links per core (Opus c5/c10, L24 5 ms / 1 ms) and opusscript's bare cost
 *   jitter    jitter buffer on the seeded traces (fake clock, all profiles × seeds 1–5)
 *   replay    seeded traces replayed over loopback UDP in real time into acip's buffer (as the media session runs:
 *             5 ms ticks, pulls after reads) and, in the same run, into GStreamer's rtpjitterbuffer at latency
 *             20/40/60/100/200 ms, with a dominates: yes/no/void verdict per run (void only if the replay sender's
 *             timing error p99 exceeds 1.5 ms; acip's own receive error is printed and counts against it); wan seed 1
 *             by default, --all for every profile × seeds 1–5 (--seconds=60: about 2 h 10 min)
 *   recovery  [--estimate] concealment, added delay and bitrate of RED / NACK+RTX / dual path and combinations (seeded
 *             simulation on virtual time, Opus 128k and L24, 2/5 % loss, 40 ms RTT; about 2 minutes); --codec= --loss=
 *             --mode= (one row), --trace (each loss followed: requests first/repeat/lost, RTX in time/late/never),
 *             --receiver-rtt=unknown (the receiver knows no RTCP RTT, as a receive-only session)
 *   recovery-real  the same table measured in real time: two media sessions over loopback UDP through the seeded
 *             impairment relay (Opus 128k and L24, 2/5 % bursty loss, 40 ms RTT); --seconds=N per row (default 60,
 *             about 20 minutes), --codec=opus|l24, --loss=2|5, --mode= (one row); RTX rows print the per-loss trace
 *   live-feed bytes/s on the live feed with 100 links, feed 1 against feed 2 (fake clock: same figures on any machine)
 *   session-cost  CPU per session frame against the bare codec (Opus 128k c5, L24 5 ms, PCMA 20 ms), CPU per PCMA call
 *             (--workers=N through a pool), heap/ArrayBuffers per session, stats() vs meters()
 *   capacity  sessions per box through two services as npm start runs them (Opus 128k c5 or L24), concealment, CPU per
 *             session against the bare codec in the same run, OPTIONS/metrics/live-feed responsiveness at that load;
 *             --links=40,60,80 --hold-s=60 --codec=opus|l24-5|l24-1 --media-workers=1
 *   api-scale main-thread cost of one /metrics scrape and one GET /api/links with 50/100/200 links in one service
 *             (real app and link manager, fixed media stats): p50/p99/max event-loop block and CPU; --rounds= --links=
 *   rtp-path  CPU and JS-heap bytes per RTP packet event (send or receive) through two MediaTransports on loopback,
 *             no codec: Opus 20 ms / L24 5 ms × plain, RTX, RED, SRTP, all; --packets= --rounds= --only=SHAPE[/VARIANT]
 *             --top=N --heap=0
 *   frame-clocks  CPU per frame-clock tick: sessions' clocks on the thread's tick grid against random phases
 *   startup   spawn → first /api/health answer and idle RSS, compiled build (npm start) against tsx (npm run dev)
 *
 * With no names, all of them run in this order (about 20 minutes on the 2-core machine). Figures are
 * only meaningful on a quiet machine: run nothing else meanwhile.
 */
import { runSipBench } from './sip-bench.js';
import { runLatencyBench } from './media/latency.js';
import { runMediaBench } from './media/links-per-core.js';
import { runJitterBench } from './jitter/run.js';
import { runStartupBench } from './startup.js';

const BENCHES: Record<string, () => Promise<unknown>> = {
  sip: () => runSipBench(),
  'sip-service': () => import('./sip-service.js').then((m) => m.runSipServiceBench()),
  latency: () => runLatencyBench(),
  links: () => runMediaBench(),
  jitter: () => runJitterBench({ perSeed: process.argv.includes('--per-seed') }),
  replay: () => import('./jitter/replay.js').then((m) => m.runJitterReplayMatrix({
    ...(process.argv.includes('--all') ? {} : { profiles: ['wan'], seeds: [1] }),
    seconds: Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 60,
  })),
  'frame-clocks': () => import('./media/frame-clocks.js').then((m) => m.runFrameClocksBench()),
  startup: () => runStartupBench(),
  recovery: () => import('./recovery.js').then((m) => m.runRecoveryBench()),
  'recovery-real': () => import('./recovery-real.js').then((m) => m.runRecoveryRealBench()),
  'rtp-path': () => import('./media/rtp-path.js').then((m) => m.runRtpPathBench()),
  'session-cost': () => import('./media/session-cost.js').then((m) => m.runSessionCostBench()),
  'live-feed': () => import('./live-feed.js').then((m) => m.runLiveFeedBench()),
  'sip-tls': () => import('./sip-tls.js').then((m) => m.runSipTlsBench()),
  srtp: () => import('./media/srtp-cost.js').then((m) => m.runSrtpCostBench()),
  capacity: () => import('./capacity.js').then((m) => m.runCapacityBench()),
  'api-scale': () => import('./api-scale.js').then((m) => m.runApiScaleBench()),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !(w in BENCHES));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHES)) {
  console.log(`\n=== ${name} ===`);
  const started = performance.now();
  await BENCHES[name]!();
  console.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(0)} s)`);
}
process.exit(0);
