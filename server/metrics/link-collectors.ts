/**
 * Link metrics, collected on scrape from the link manager's snapshots, never pushed per packet (the
 * audio path pays nothing for them). Names and units per Prometheus conventions: base units (seconds),
 * `_total` for counters, levels in dBFS named as such.
 */
import { Counter, Gauge, Histogram, type Metric, type Registry } from 'prom-client';
import { LINK_STATES } from '../links/link-state.js';
import { LinkFamily, LinkLabels, type LabelSet } from './link-family.js';
import { SipTally } from './sip-tally.js';
import type { LinkSnapshot, RegistrationStatus } from '../links/link-types.js';

export interface LinkMetricsSource {
  links: () => LinkSnapshot[];
  registration: () => RegistrationStatus | null;
}

export interface SipMetrics {
  requests: Counter<'method' | 'direction'>;
  responses: Counter<'code' | 'direction'>;
  callSetup: Histogram;
  /** What the two SIP counters report at a scrape: the counting transport adds to these. */
  requestTally: SipTally;
  responseTally: SipTally;
}

/** A gauge's value when the link has none yet (no media, no RTCP round trip): NaN, since 0 would read as a measurement. */
const UNKNOWN = Number.NaN;

/** A counter's value: the link's running total, 0 when it has none or it is not a usable count. */
const total = (v: number | undefined): number => (v !== undefined && Number.isFinite(v) && v > 0 ? v : 0);

export function registerLinkMetrics(registry: Registry, src: LinkMetricsSource): SipMetrics {
  // One snapshot pass per scrape: the registry runs every collector synchronously before it writes
  // anything, so the list taken by the first collector is still current for the next one.
  let board: LinkSnapshot[] | undefined;
  const snapshots = (): LinkSnapshot[] => {
    if (board === undefined) {
      board = src.links();
      queueMicrotask(() => (board = undefined));
    }
    return board;
  };

  new Gauge({
    name: 'acip_links',
    help: 'Links by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>(LINK_STATES.map((s) => [s, 0]));
      for (const l of snapshots()) counts.set(l.state, (counts.get(l.state) ?? 0) + 1);
      for (const [state, n] of counts) this.set({ state }, n);
    },
  });

  const family = (name: string, help: string, type: 'counter' | 'gauge', labelNames: readonly string[]): LinkFamily => {
    const f = new LinkFamily(name, help, type, labelNames);
    registry.registerMetric(f as unknown as Metric);
    return f;
  };
  const labelCache = new Map<string, LinkLabels>();
  let scrape = 0;

  // One collector refreshes all per-link series from one snapshot list. Registered first: the registry
  // collects in registration order, so the series below are fresh when they are written out.
  new Gauge({
    name: 'acip_links_collected',
    help: 'Links seen by the last scrape (internal: drives the per-link series)',
    registers: [registry],
    collect() {
      const all = snapshots();
      this.set(all.length);
      scrape++;
      for (const f of perLink) f.reset();
      const row = (f: LinkFamily, set: LabelSet, value: number) => f.rows.push({ value, set });
      const links: LinkLabels[] = [];
      for (const l of all) {
        let ll = labelCache.get(l.id);
        if (!ll) labelCache.set(l.id, (ll = new LinkLabels(l.id)));
        ll.seen = scrape;
        links.push(ll);
      }
      // Counters: every listed link gets every row, 0 included: a series that appears only once it is
      // non-zero breaks rate() and alerting on it ("avoid missing metrics" in the Prometheus
      // instrumentation guide). Families in the order they are written, links in board order.
      all.forEach((l, i) => row(received, links[i]!.link, total(l.rx?.packets)));
      all.forEach((l, i) => row(lost, links[i]!.link, total(l.rx?.lost)));
      all.forEach((l, i) => row(late, links[i]!.link, total(l.rx?.late)));
      all.forEach((l, i) => row(sent, links[i]!.link, total(l.tx?.packets)));
      all.forEach((l, i) => row(concealed, links[i]!.link, total(l.rx ? l.rx.concealedMs / 1000 : undefined)));
      all.forEach((l, i) => {
        // Every reason of every SRTP link, 0 included (a link without an SRTP stage has no rows).
        const d = l.security?.dropped;
        if (!d) return;
        for (const kind of ['rtp', 'rtcp'] as const) {
          for (const [reason, n] of Object.entries(d[kind])) row(srtpDropped, links[i]!.with(kind, reason, () => ({ link: l.id, kind, reason })), total(n));
        }
      });
      all.forEach((l, i) => {
        // Loss recovery: every source of every link that runs any recovery tool, 0 included.
        const rec = l.recovery;
        if (!rec) return;
        const ll = links[i]!;
        row(recovered, ll.with('by', 'red', () => ({ link: l.id, by: 'red' })), total(rec.recoveredByRed));
        row(recovered, ll.with('by', 'rtx', () => ({ link: l.id, by: 'rtx' })), total(rec.recoveredByRtx));
        row(recovered, ll.with('by', 'path', () => ({ link: l.id, by: 'path' })), total(rec.recoveredByPath));
      });
      all.forEach((l, i) => {
        const rec = l.recovery;
        if (!rec) return;
        const link = links[i]!.link;
        row(stillLost, link, total(rec.stillLost));
        row(nackRequests, link, total(rec.nackRequests));
        row(rtxSent, link, total(rec.rtxSent));
        row(rtxSuppressed, link, total(rec.rtxSuppressed));
        row(rtxCopies, link, total(rec.rtxCopies));
        rec.paths?.forEach((p, k) => row(pathLost, links[i]!.with('path', String(k), () => ({ link: l.id, path: String(k) })), p.lossPct / 100));
      });
      all.forEach((l, i) => {
        const ll = links[i]!;
        row(jitter, ll.link, l.rx ? l.rx.jitterMs / 1000 : UNKNOWN);
        row(buffer, ll.link, l.rx ? l.rx.bufferMs / 1000 : UNKNOWN);
        row(drift, ll.link, l.rx ? l.rx.driftPpm : UNKNOWN);
        row(rtt, ll.link, l.rttMs !== null ? l.rttMs / 1000 : UNKNOWN);
        // The channel label needs the channel count, known once the link has meters. A null peak is
        // digital silence (-Infinity in the snapshot, which JSON cannot carry).
        if (l.meters) {
          for (const direction of ['input', 'output'] as const) {
            l.meters[direction].peak.forEach((v, ch) => row(level, ll.with(direction, String(ch), () => ({ link: l.id, direction, channel: String(ch + 1) })), v ?? -Infinity));
          }
        }
      });
      for (const [id, ll] of labelCache) if (ll.seen !== scrape) labelCache.delete(id);
    },
  });

  const received = family('acip_rtp_packets_received_total', 'RTP packets received per link', 'counter', ['link']);
  const lost = family('acip_rtp_packets_lost_total', 'RTP packets lost per link (RFC 3550 cumulative)', 'counter', ['link']);
  const late = family('acip_rtp_packets_late_total', 'RTP packets that arrived after their playout time', 'counter', ['link']);
  const sent = family('acip_rtp_packets_sent_total', 'RTP packets sent per link', 'counter', ['link']);
  const concealed = family('acip_concealed_seconds_total', 'Audio concealed (lost or late) per link, seconds', 'counter', ['link']);
  const srtpDropped = family(
    'acip_srtp_dropped_total',
    'Inbound SRTP (kind=rtp) and SRTCP (kind=rtcp) packets dropped per link, by reason (RFC 3711 §3.3: auth failure, replay, too old, malformed; or no key yet, or one SSRC too many)',
    'counter',
    ['link', 'kind', 'reason'],
  );
  const recovered = family(
    'acip_recovered_packets_total',
    'Packets missing from the stream that loss recovery restored per link, by what restored them (red: RFC 2198 copy, rtx: RFC 4588 retransmission, path: the second path of RFC 7198)',
    'counter',
    ['link', 'by'],
  );
  const stillLost = family('acip_recovery_still_lost_total', 'Frames concealed on links running loss recovery (lost despite it)', 'counter', ['link']);
  const nackRequests = family('acip_nack_requests_total', 'Sequence numbers asked for again with RFC 4585 generic NACK per link', 'counter', ['link']);
  const rtxSent = family('acip_rtx_sent_total', 'RFC 4588 retransmissions sent to the peer per link', 'counter', ['link']);
  const rtxSuppressed = family(
    'acip_rtx_suppressed_total',
    "The peer's repeated NACKs for a packet resent less than about an RTT before, not answered again, per link",
    'counter',
    ['link'],
  );
  const rtxCopies = family(
    'acip_rtx_copies_total',
    'Copies of early RFC 4588 retransmissions sent a packet time after the answer, per link (not counted in acip_rtx_sent_total)',
    'counter',
    ['link'],
  );
  const pathLost = family('acip_path_loss_ratio', 'Loss ratio of each path of a duplicated stream (RFC 7198) as that path alone sees it, 0..1', 'gauge', ['link', 'path']);
  const jitter = family('acip_rtp_jitter_seconds', 'RFC 3550 interarrival jitter per link', 'gauge', ['link']);
  const buffer = family('acip_jitter_buffer_delay_seconds', 'Current jitter-buffer delay per link', 'gauge', ['link']);
  const drift = family('acip_clock_drift_ppm', 'Estimated sender clock drift against ours, ppm', 'gauge', ['link']);
  const rtt = family('acip_rtt_seconds', 'Round-trip time from RTCP per link', 'gauge', ['link']);
  const level = family('acip_audio_level_dbfs', 'Audio peak level per link, direction (input = sent, output = received) and channel, dBFS', 'gauge', ['link', 'direction', 'channel']);
  const perLink = [received, lost, late, sent, concealed, srtpDropped, recovered, stillLost, nackRequests, rtxSent, rtxSuppressed, rtxCopies, pathLost, jitter, buffer, drift, rtt, level];

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

  const requestTally = new SipTally();
  const responseTally = new SipTally();
  return {
    requests: new Counter({
      name: 'acip_sip_requests_total',
      help: 'SIP requests by method and direction',
      labelNames: ['method', 'direction'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [direction, method, n] of requestTally.entries()) this.inc({ method, direction }, n);
      },
    }),
    responses: new Counter({
      name: 'acip_sip_responses_total',
      help: 'SIP responses by status code and direction',
      labelNames: ['code', 'direction'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [direction, code, n] of responseTally.entries()) this.inc({ code, direction }, n);
      },
    }),
    requestTally,
    responseTally,
    callSetup: new Histogram({
      name: 'acip_call_setup_seconds',
      help: 'Outbound call setup time, INVITE to 200 OK',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}
