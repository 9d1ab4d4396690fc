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
    expect(text).not.toMatch(/acip_audio_level_dbfs\{link="a",direction="output",channel="2"\}/);
    expect(text).toMatch(/^acip_registration_up\{aor="sip:a@b"\} 1$/m);
    expect(text).not.toMatch(/link="b"/);
    links = [];
    registration = null;
    const after = await registry.metrics();
    expect(after).not.toMatch(/link="a"/);
    expect(after).not.toMatch(/^acip_registration_up\{/m);
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
