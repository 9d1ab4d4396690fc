/**
 * Link metrics, collected on scrape from the link manager's snapshots, never pushed per packet (the
 * audio path pays nothing for them). Names and units per Prometheus conventions: base units (seconds),
 * `_total` for counters, levels in dBFS named as such.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LINK_STATES } from '../links/link-state.js';
import type { LinkSnapshot, RegistrationStatus } from '../links/link-types.js';

export interface LinkMetricsSource {
  links: () => LinkSnapshot[];
  registration: () => RegistrationStatus | null;
}

export interface SipMetrics {
  requests: Counter<'method' | 'direction'>;
  responses: Counter<'code' | 'direction'>;
  callSetup: Histogram;
}

/**
 * Counters are set to the link's own running totals on each scrape (reset, then inc to the value).
 * Every listed link gets every row, 0 included: a series that appears only once it is non-zero
 * breaks rate() and alerting on it ("avoid missing metrics" in the Prometheus instrumentation guide).
 */
function setTotals(c: Counter<string>, rows: [Record<string, string>, number][]): void {
  c.reset();
  for (const [labels, v] of rows) c.inc(labels, Number.isFinite(v) && v > 0 ? v : 0);
}

/** A gauge's value when the link has none yet (no media, no RTCP round trip): NaN, since 0 would read as a measurement. */
const UNKNOWN = Number.NaN;

export function registerLinkMetrics(registry: Registry, src: LinkMetricsSource): SipMetrics {
  const links = new Gauge({
    name: 'acip_links',
    help: 'Links by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>(LINK_STATES.map((s) => [s, 0]));
      for (const l of src.links()) counts.set(l.state, (counts.get(l.state) ?? 0) + 1);
      for (const [state, n] of counts) this.set({ state }, n);
    },
  });
  void links;

  // One collector refreshes all per-link series from one snapshot list. Registered first: the registry
  // collects in registration order, so the series below are fresh when they are written out.
  new Gauge({
    name: 'acip_links_collected',
    help: 'Links seen by the last scrape (internal: drives the per-link series)',
    registers: [registry],
    collect() {
      const all = src.links();
      this.set(all.length);
      const rows = (f: (l: LinkSnapshot) => number | undefined) => all.map((l): [Record<string, string>, number] => [{ link: l.id }, f(l) ?? 0]);
      setTotals(received, rows((l) => l.rx?.packets));
      setTotals(lost, rows((l) => l.rx?.lost));
      setTotals(late, rows((l) => l.rx?.late));
      setTotals(sent, rows((l) => l.tx?.packets));
      setTotals(concealed, rows((l) => (l.rx ? l.rx.concealedMs / 1000 : undefined)));
      // Every reason of every SRTP link, 0 included (a link without an SRTP stage has no rows).
      setTotals(
        srtpDropped,
        all.flatMap((l) => {
          const d = l.security?.dropped;
          if (!d) return [];
          return (['rtp', 'rtcp'] as const).flatMap((kind) => Object.entries(d[kind]).map(([reason, n]): [Record<string, string>, number] => [{ link: l.id, kind, reason }, n]));
        }),
      );
      // Loss recovery: every source of every link that runs any recovery tool, 0 included.
      setTotals(
        recovered,
        all.flatMap((l) => {
          const r = l.recovery;
          if (!r) return [];
          const by: [string, number][] = [
            ['red', r.recoveredByRed],
            ['rtx', r.recoveredByRtx],
            ['path', r.recoveredByPath],
          ];
          return by.map(([source, n]): [Record<string, string>, number] => [{ link: l.id, by: source }, n]);
        }),
      );
      const withRecovery = all.filter((l) => l.recovery);
      const recoveryRows = (f: (r: NonNullable<LinkSnapshot['recovery']>) => number) => withRecovery.map((l): [Record<string, string>, number] => [{ link: l.id }, f(l.recovery!)]);
      setTotals(stillLost, recoveryRows((r) => r.stillLost));
      setTotals(nackRequests, recoveryRows((r) => r.nackRequests));
      setTotals(rtxSent, recoveryRows((r) => r.rtxSent));
      pathLost.reset();
      for (const l of withRecovery) l.recovery!.paths?.forEach((p, i) => pathLost.set({ link: l.id, path: String(i) }, p.lossPct / 100));
      for (const g of [jitter, buffer, drift, rtt, level]) g.reset();
      for (const l of all) {
        const link = { link: l.id };
        jitter.set(link, l.rx ? l.rx.jitterMs / 1000 : UNKNOWN);
        buffer.set(link, l.rx ? l.rx.bufferMs / 1000 : UNKNOWN);
        drift.set(link, l.rx ? l.rx.driftPpm : UNKNOWN);
        rtt.set(link, l.rttMs !== null ? l.rttMs / 1000 : UNKNOWN);
        // The channel label needs the channel count, known once the link has meters. A null peak is
        // digital silence (-Infinity in the snapshot, which JSON cannot carry).
        if (l.meters) {
          for (const direction of ['input', 'output'] as const) {
            l.meters[direction].peak.forEach((v, ch) => level.set({ link: l.id, direction, channel: String(ch + 1) }, v ?? -Infinity));
          }
        }
      }
    },
  });

  const received = new Counter({ name: 'acip_rtp_packets_received_total', help: 'RTP packets received per link', labelNames: ['link'] as const, registers: [registry] });
  const lost = new Counter({ name: 'acip_rtp_packets_lost_total', help: 'RTP packets lost per link (RFC 3550 cumulative)', labelNames: ['link'] as const, registers: [registry] });
  const late = new Counter({ name: 'acip_rtp_packets_late_total', help: 'RTP packets that arrived after their playout time', labelNames: ['link'] as const, registers: [registry] });
  const sent = new Counter({ name: 'acip_rtp_packets_sent_total', help: 'RTP packets sent per link', labelNames: ['link'] as const, registers: [registry] });
  const concealed = new Counter({ name: 'acip_concealed_seconds_total', help: 'Audio concealed (lost or late) per link, seconds', labelNames: ['link'] as const, registers: [registry] });
  const srtpDropped = new Counter({
    name: 'acip_srtp_dropped_total',
    help: 'Inbound SRTP (kind=rtp) and SRTCP (kind=rtcp) packets dropped per link, by reason (RFC 3711 §3.3: auth failure, replay, too old, malformed; or no key yet, or one SSRC too many)',
    labelNames: ['link', 'kind', 'reason'] as const,
    registers: [registry],
  });
  const recovered = new Counter({
    name: 'acip_recovered_packets_total',
    help: 'Packets missing from the stream that loss recovery restored per link, by what restored them (red: RFC 2198 copy, rtx: RFC 4588 retransmission, path: the second path of RFC 7198)',
    labelNames: ['link', 'by'] as const,
    registers: [registry],
  });
  const stillLost = new Counter({ name: 'acip_recovery_still_lost_total', help: 'Frames concealed on links running loss recovery (lost despite it)', labelNames: ['link'] as const, registers: [registry] });
  const nackRequests = new Counter({ name: 'acip_nack_requests_total', help: 'Sequence numbers asked for again with RFC 4585 generic NACK per link', labelNames: ['link'] as const, registers: [registry] });
  const rtxSent = new Counter({ name: 'acip_rtx_sent_total', help: 'RFC 4588 retransmissions sent to the peer per link', labelNames: ['link'] as const, registers: [registry] });
  const pathLost = new Gauge({
    name: 'acip_path_loss_ratio',
    help: 'Loss ratio of each path of a duplicated stream (RFC 7198) as that path alone sees it, 0..1',
    labelNames: ['link', 'path'] as const,
    registers: [registry],
  });
  const jitter = new Gauge({ name: 'acip_rtp_jitter_seconds', help: 'RFC 3550 interarrival jitter per link', labelNames: ['link'] as const, registers: [registry] });
  const buffer = new Gauge({ name: 'acip_jitter_buffer_delay_seconds', help: 'Current jitter-buffer delay per link', labelNames: ['link'] as const, registers: [registry] });
  const drift = new Gauge({ name: 'acip_clock_drift_ppm', help: 'Estimated sender clock drift against ours, ppm', labelNames: ['link'] as const, registers: [registry] });
  const rtt = new Gauge({ name: 'acip_rtt_seconds', help: 'Round-trip time from RTCP per link', labelNames: ['link'] as const, registers: [registry] });
  const level = new Gauge({
    name: 'acip_audio_level_dbfs',
    help: 'Audio peak level per link, direction (input = sent, output = received) and channel, dBFS',
    labelNames: ['link', 'direction', 'channel'] as const,
    registers: [registry],
  });

  new Gauge({
    name: 'acip_registration_up',
    help: '1 when registered at the configured registrar, 0 when not, absent when no registration is configured',
    labelNames: ['aor'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const r = src.registration();
      if (r) this.set({ aor: r.aor }, r.state === 'registered' ? 1 : 0);
    },
  });

  return {
    requests: new Counter({ name: 'acip_sip_requests_total', help: 'SIP requests by method and direction', labelNames: ['method', 'direction'] as const, registers: [registry] }),
    responses: new Counter({ name: 'acip_sip_responses_total', help: 'SIP responses by status code and direction', labelNames: ['code', 'direction'] as const, registers: [registry] }),
    callSetup: new Histogram({
      name: 'acip_call_setup_seconds',
      help: 'Outbound call setup time, INVITE to 200 OK',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}
