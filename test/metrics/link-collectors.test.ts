import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { registerLinkMetrics } from '../../server/metrics/link-collectors.js';
import type { LinkSnapshot, RegistrationStatus } from '../../server/links/link-types.js';

function link(id: string, over: Partial<LinkSnapshot> = {}): LinkSnapshot {
  return {
    id, state: 'connected', direction: 'outbound', remote: 'sip:x@127.0.0.1', profile: 'p', permanent: false, input: 'tone', output: 'null',
    createdAt: '', durationS: 1, redials: 0, codec: null, mediaDirection: 'sendrecv',
    rx: { packets: 500, lost: 5, late: 2, duplicates: 0, reordered: 1, lossPct: 1, concealedMs: 140, concealedPct: 1.4, jitterMs: 2.5, bufferMs: 40, targetBufferMs: 40, driftPpm: 12, underruns: 0, malformed: 0, foreignSource: 0 },
    tx: { packets: 499, bitrateKbps: 128, remoteLossPct: 0, remoteJitterMs: 1 },
    rttMs: 3, meters: { input: { peak: [-18, -18.5], rms: [-21, -21], clips: 0 }, output: { peak: [-20, null], rms: [-23, null], clips: 0 } },
    ebuacip: null, localSdp: null, remoteSdp: null, endReason: null, ...over,
  };
}

describe('link metrics', () => {
  it('exposes per-link series in base units, collected from snapshots on scrape', async () => {
    const registry = new Registry();
    let links = [link('a'), link('b', { state: 'ringing', rx: null, tx: null, rttMs: null, meters: null })];
    let registration: RegistrationStatus | null = { state: 'registered', aor: 'sip:a@b', registrar: 'sip:b' };
    registerLinkMetrics(registry, { links: () => links, registration: () => registration });
    const text = await registry.metrics();
    expect(text).toMatch(/^acip_links\{state="connected"\} 1$/m);
    expect(text).toMatch(/^acip_links\{state="ringing"\} 1$/m);
    expect(text).toMatch(/^acip_links\{state="failed"\} 0$/m);
    expect(text).toMatch(/^acip_rtp_packets_received_total\{link="a"\} 500$/m);
    expect(text).toMatch(/^acip_rtp_packets_lost_total\{link="a"\} 5$/m);
    expect(text).toMatch(/^acip_rtp_jitter_seconds\{link="a"\} 0\.0025$/m);
    expect(text).toMatch(/^acip_jitter_buffer_delay_seconds\{link="a"\} 0\.04$/m);
    expect(text).toMatch(/^acip_concealed_seconds_total\{link="a"\} 0\.14$/m);
    expect(text).toMatch(/^acip_rtt_seconds\{link="a"\} 0\.003$/m);
    expect(text).toMatch(/^acip_audio_level_dbfs\{link="a",direction="input",channel="2"\} -18\.5$/m);
    // A silent channel reads -Infinity dBFS, not a missing series.
    expect(text).toMatch(/^acip_audio_level_dbfs\{link="a",direction="output",channel="2"\} -Inf$/m);
    expect(text).toMatch(/^acip_registration_up\{aor="sip:a@b"\} 1$/m);
    // A ringing link has no media yet: its counters read 0 and its gauges NaN (unknown), never absent.
    expect(text).toMatch(/^acip_rtp_packets_received_total\{link="b"\} 0$/m);
    expect(text).toMatch(/^acip_rtp_jitter_seconds\{link="b"\} nan$/im); // prom-client writes "Nan"; Prometheus parses any case
    expect(text).toMatch(/^acip_rtt_seconds\{link="b"\} nan$/im);
    expect(text).not.toMatch(/acip_audio_level_dbfs\{link="b"/);
    links = [];
    registration = null;
    const after = await registry.metrics();
    expect(after).not.toMatch(/link="a"/);
    expect(after).not.toMatch(/^acip_registration_up\{/m);
  });
});

describe('per-link series on a clean link', () => {
  const PER_LINK_SERIES: [name: string, value: string][] = [
    ['acip_rtp_packets_received_total', '500'],
    ['acip_rtp_packets_lost_total', '0'],
    ['acip_rtp_packets_late_total', '0'],
    ['acip_rtp_packets_sent_total', '499'],
    ['acip_concealed_seconds_total', '0'],
    ['acip_rtp_jitter_seconds', '0'],
    ['acip_jitter_buffer_delay_seconds', '0.04'],
    ['acip_clock_drift_ppm', '0'],
    ['acip_rtt_seconds', '0.003'],
  ];

  it('exports every per-link series from the first scrape of a connected link with no loss, zeros included', async () => {
    const registry = new Registry();
    const clean = link('clean', {
      rx: { packets: 500, lost: 0, late: 0, duplicates: 0, reordered: 0, lossPct: 0, concealedMs: 0, concealedPct: 0, jitterMs: 0, bufferMs: 40, targetBufferMs: 40, driftPpm: 0, underruns: 0, malformed: 0, foreignSource: 0 },
    });
    registerLinkMetrics(registry, { links: () => [clean], registration: () => null });
    const text = await registry.metrics();
    for (const [name, value] of PER_LINK_SERIES) expect(text, name).toMatch(new RegExp(`^${name}\\{link="clean"\\} ${value.replace('.', '\\.')}$`, 'm'));
    for (const direction of ['input', 'output']) {
      for (const channel of ['1', '2']) expect(text).toMatch(new RegExp(`^acip_audio_level_dbfs\\{link="clean",direction="${direction}",channel="${channel}"\\} `, 'm'));
    }
    // Every per-link metric family the registry knows carries a series for this link.
    const families = (await registry.getMetricsAsJSON()).filter((m) => m.values.some((v) => 'link' in v.labels));
    expect(families.map((m) => m.name).sort()).toEqual([...PER_LINK_SERIES.map(([n]) => n), 'acip_audio_level_dbfs'].sort());
  });
});

describe('the shipped Grafana dashboard', () => {
  it('only queries metric names that acip exports', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { ROOT_DIR } = await import('../../server/version.js');
    const { createMetrics } = await import('../../server/metrics/metrics.js');
    const dash = readFileSync(join(ROOT_DIR, 'server/metrics/grafana/acip-dashboard.json'), 'utf8');
    const used = new Set([...dash.matchAll(/\b(acip_[a-z_]+?)(?:_bucket)?\{/g)].map((m) => m[1]!));
    const m = createMetrics({ version: 'x', startedAtMs: () => 0, nowMs: () => 0, processMetrics: false });
    registerLinkMetrics(m.registry, { links: () => [], registration: () => null });
    const exported = new Set((await m.registry.getMetricsAsJSON()).map((x) => x.name));
    expect(used.size).toBeGreaterThan(8);
    for (const name of used) expect(exported, name).toContain(name);
  });
});

describe('security and loss recovery series', () => {
  const zeros = { SRTP_AUTH_FAIL: 0, SRTP_REPLAY: 0, SRTP_TOO_OLD: 0, SRTP_MALFORMED: 0, SRTP_NO_KEY: 0, SRTP_SSRC_LIMIT: 0 };
  const recovery: NonNullable<LinkSnapshot['recovery']> = {
    red: true, rtx: true, duplicate: true, recoveredByRed: 7, recoveredByRtx: 11, recoveredByPath: 13, stillLost: 2, nackRequests: 15, rtxSent: 9, rtxSuppressed: 4, rtxCopies: 6,
    paths: [
      { received: 990, lost: 10, lossPct: 1, jitterMs: 2, relativeDelayMs: -1.5, remote: '127.0.0.1:5004' },
      { received: 950, lost: 50, lossPct: 5, jitterMs: 3, relativeDelayMs: 1.5, remote: '127.0.0.2:5004' },
    ],
  };
  const ROWS: [what: string, series: RegExp][] = [
    ['an SRTP drop by reason', /^acip_srtp_dropped_total\{link="s",kind="rtp",reason="SRTP_AUTH_FAIL"\} 3$/m],
    ['packets of one SSRC too many', /^acip_srtp_dropped_total\{link="s",kind="rtp",reason="SRTP_SSRC_LIMIT"\} 4$/m],
    ['an SRTCP drop reason at zero', /^acip_srtp_dropped_total\{link="s",kind="rtcp",reason="SRTP_REPLAY"\} 0$/m],
    ['packets restored by RED', /^acip_recovered_packets_total\{link="s",by="red"\} 7$/m],
    ['packets restored by RTX', /^acip_recovered_packets_total\{link="s",by="rtx"\} 11$/m],
    ['packets restored by the second path', /^acip_recovered_packets_total\{link="s",by="path"\} 13$/m],
    ['frames still lost', /^acip_recovery_still_lost_total\{link="s"\} 2$/m],
    ['NACK requests', /^acip_nack_requests_total\{link="s"\} 15$/m],
    ['retransmissions sent', /^acip_rtx_sent_total\{link="s"\} 9$/m],
    ['repeated requests not answered again', /^acip_rtx_suppressed_total\{link="s"\} 4$/m],
    ['copies of early retransmissions', /^acip_rtx_copies_total\{link="s"\} 6$/m],
    ['the loss ratio of the second path', /^acip_path_loss_ratio\{link="s",path="1"\} 0\.05$/m],
  ];

  it.each(ROWS)('exports %s', async (_what, series) => {
    const registry = new Registry();
    const s = link('s', {
      security: { signalling: 'tls', media: 'srtp', encrypted: true, reason: '', dropped: { rtp: { ...zeros, SRTP_AUTH_FAIL: 3, SRTP_SSRC_LIMIT: 4 }, rtcp: zeros } },
      recovery,
    });
    registerLinkMetrics(registry, { links: () => [s, link('plain')], registration: () => null });
    const text = await registry.metrics();
    expect(text).toMatch(series);
    // A link without SRTP or recovery has none of these rows.
    expect(text).not.toMatch(/^acip_(srtp_dropped|recovered_packets|recovery_still_lost|nack_requests|rtx_sent|rtx_suppressed|rtx_copies)_total\{link="plain"/m);
  });

  it('exports the NACK/RTX counters of a link running RTX from its first scrape, zeros included', async () => {
    const registry = new Registry();
    const quiet = { ...recovery, red: false, duplicate: false, recoveredByRed: 0, recoveredByRtx: 0, recoveredByPath: 0, stillLost: 0, nackRequests: 0, rtxSent: 0, rtxSuppressed: 0, rtxCopies: 0 };
    delete quiet.paths;
    registerLinkMetrics(registry, { links: () => [link('q', { recovery: quiet })], registration: () => null });
    const text = await registry.metrics();
    for (const name of ['acip_nack_requests_total', 'acip_rtx_sent_total', 'acip_rtx_suppressed_total', 'acip_rtx_copies_total']) {
      expect(text, name).toMatch(new RegExp(`^${name}\\{link="q"\\} 0$`, 'm'));
    }
  });
});
