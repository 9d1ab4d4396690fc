/**
 * The acip service: owns every socket and timer of a running instance and closes them
 * in reverse order of opening. `main.ts` is only the process shell around it (flags, signals,
 * exit codes), so tests can start real services on free ports in-process or as a child.
 *
 * SIP transports have one owner at a time: the service opens them and hands them to the
 * `SipUserAgent` at once, which owns them from then on; the service closes the UA (which closes
 * them) and never the transports themselves. Until the hand-over succeeds, the service closes what
 * it opened.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { AcipConfig } from './config/schema.js';
import { loadProfiles, type ProfileSet } from './config/load-profiles.js';
import { createMetrics, type AcipMetrics } from './metrics/metrics.js';
import { buildApp } from './api/app.js';
import { ROOT_DIR, VERSION } from './version.js';
import { systemClock, type Clock, type TimerHandle } from './util/clock.js';
import { presenceOf } from './sip/presence/presence-state.js';
import { outboundCredentials, presenceAccount, type PresenceAccount } from './sip/presence/presence-account.js';
import { knownCodecIds } from './codecs/known-codecs.js';
import { UdpSipTransport } from './sip/transport/udp-transport.js';
import { TcpSipTransport } from './sip/transport/tcp-transport.js';
import { TlsSipTransport } from './sip/transport/tls-transport.js';
import type { SipTransport } from './sip/transport/sip-transport.js';
import { SipUserAgent, comparableUri } from './sip/ua/user-agent.js';
import { LinkManager } from './links/link-manager.js';
import { MediaWorkerPool } from './media/worker/media-worker-pool.js';
import type { GcValue } from './media/worker/worker-protocol.js';
import { OverloadMonitor } from './links/overload-monitor.js';
import { registerOverloadMetrics } from './links/overload-metrics.js';
import { Phonebook } from './store/phonebook.js';
import { CallHistory } from './store/call-history.js';
import { MessageLog } from './store/message-log.js';
import { Messaging } from './store/messaging.js';
import { PeerPresenceBook } from './store/peer-presence.js';
import { LinkTransfers } from './links/link-transfers.js';
import type { TransferPort } from './api/routes/transfer.js';
import { AcipError } from './util/errors.js';
import { isLoopbackHost, parsePortRange, readTlsFiles } from './config/load-config.js';
import { Admission, ADMISSION_REASONS } from './sip/admission/admission.js';
import { CORE_REJECT_REASONS } from './sip/ua/uas-dispatch.js';
import { registerSipRejectionMetrics } from './metrics/metrics.js';
import { registerLinkMetrics } from './metrics/link-collectors.js';
import { countingTransport } from './metrics/counting-transport.js';
import { mediaAddressChooser } from './links/media-address.js';

/** How long closing waits for the presence server to answer the removal of our publication. */
const PUBLISH_REMOVAL_WAIT_MS = 500;
/** How often the watched phonebook entries are brought in step with the phonebook. */
const PHONEBOOK_SYNC_MS = 5000;

export interface ServiceOptions {
  config: AcipConfig;
  logger?: Logger;
  clock?: Clock;
}

export class AcipService {
  readonly config: AcipConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly metrics: AcipMetrics;
  readonly startedAtMs: number;
  profiles: ProfileSet = { profiles: new Map(), errors: [] };
  private app: FastifyInstance | undefined;
  private closers: { name: string; close: () => Promise<void> | void }[] = [];
  private httpAddress: string | undefined;
  private sipAddresses: string[] = [];
  ua: SipUserAgent | undefined;
  links: LinkManager | undefined;
  /** The TLS transport when `sip.tls` has a certificate (kept for `reloadTls`; the UA owns it). */
  private tls: TlsSipTransport | undefined;
  private mediaPool: MediaWorkerPool | undefined;
  private closing: Promise<void> | undefined;

  constructor(opts: ServiceOptions) {
    this.config = opts.config;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? pino({ level: opts.config.log.level, base: { svc: 'acip' } });
    this.startedAtMs = this.clock.now();
    this.metrics = createMetrics({ version: VERSION, startedAtMs: () => this.startedAtMs, nowMs: () => this.clock.now() });
  }

  get dataDir(): string {
    return resolve(this.config.dataDir);
  }

  /** Folders profiles load from: the shipped (or configured) folder, then the data dir's overrides. */
  profileDirs(): string[] {
    return [resolve(this.config.profilesDir ?? join(ROOT_DIR, 'profiles')), join(this.dataDir, 'profiles')];
  }

  reloadProfiles(): ProfileSet {
    this.profiles = loadProfiles(this.profileDirs(), knownCodecIds());
    for (const e of this.profiles.errors) this.log.warn({ file: e.file, field: e.field }, `profile rejected: ${e.file}: ${e.field}: ${e.message}`);
    this.metrics.profilesLoaded.set(this.profiles.profiles.size);
    this.metrics.profileErrors.set(this.profiles.errors.length);
    return this.profiles;
  }

  async start(): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true });
    this.reloadProfiles();
    if (!this.profiles.profiles.has(this.config.defaultProfile)) {
      this.log.warn(`default profile ${this.config.defaultProfile} is not loaded; calls must name a profile`);
    }

    const sipLog = this.log.child({ part: 'sip' });
    const transports = await this.openSipTransports(sipLog);
    try {
      const tls = await this.openTlsTransport(sipLog);
      if (tls) transports.push(tls);
    } catch (err) {
      await Promise.all(transports.map((t) => t.close()));
      throw err;
    }
    const phonebook = new Phonebook({
      dataDir: this.dataDir,
      profileExists: (n) => this.profiles.profiles.has(n),
      wallNow: () => this.clock.wallNow(),
      onWarning: (m) => this.log.warn(m),
    });
    let ua: SipUserAgent;
    let sipMetrics: ReturnType<typeof registerLinkMetrics>;
    let admission: Admission;
    try {
      admission = this.admission(phonebook, sipLog);
      sipMetrics = registerLinkMetrics(this.metrics.registry, {
        links: () => this.links?.list() ?? [],
        registration: () => this.links?.registration() ?? null,
      });
      const counted = transports.map((t) => countingTransport(t, sipMetrics));
      ua = new SipUserAgent({
        clock: this.clock,
        transports: counted,
        userAgentName: `${this.config.sip.userAgent}/${VERSION}`,
        displayName: this.config.sip.displayName,
        sessionExpiresS: this.config.sip.sessionExpiresS,
        minSeS: this.config.sip.minSeS,
        ...(this.advertisedSipHost() ? { advertisedHost: this.advertisedSipHost()! } : {}),
        logger: sipLog,
        admission,
      });
      registerSipRejectionMetrics(this.metrics.registry, {
        reasons: [...ADMISSION_REASONS, ...CORE_REJECT_REASONS],
        counts: () => ua.counters.rejectedByReason,
        blockedSources: () => admission.blockedSources,
      });
    } catch (err) {
      // Not handed over: the transports are still ours to close.
      await Promise.all(transports.map((t) => t.close()));
      throw err;
    }
    this.ua = ua;
    // The UA owns the transports now: closing it closes them (see the class comment).
    this.closers.push({ name: 'sip', close: () => ua.close() });

    const history = new CallHistory(this.dataDir, { maxRecords: 10_000, clock: this.clock, onWarning: (m) => this.log.warn(m) });
    // Before 'links': closers run in reverse, so links write their last records before the flush.
    this.closers.push({ name: 'history', close: () => history.close() });
    const range = parsePortRange(this.config.rtp.ports);
    // media.workers > 0: media sessions run in worker threads (both cores); 0: in this thread.
    let mediaPool: MediaWorkerPool | undefined;
    if (this.config.media.workers > 0) {
      // Workers start with the first links that need them, so an idle service keeps its memory low; between
      // full stats snapshots a worker pushes only meters (the 10 Hz panel rate at a fraction of the bytes).
      const pool = new MediaWorkerPool({
        workers: this.config.media.workers,
        logger: this.log.child({ part: 'media' }),
        startWorkers: 'on-demand',
        fullStatsIntervalMs: 500,
        realtimePriority: this.config.media.realtimePriority > 0 ? this.config.media.realtimePriority : null,
      });
      mediaPool = pool;
      this.mediaPool = pool;
      // Pushed before 'links': closers run in reverse, so the links close their sessions first.
      this.closers.push({ name: 'media-workers', close: () => pool.close() });
      this.log.info({ workers: this.config.media.workers }, `media sessions run in ${this.config.media.workers} worker thread(s)`);
    }
    // Admission control: event-loop lag here, each worker's utilisation and the machine's CPU busy share
    // (all cores), sampled every 500 ms; above the thresholds new calls get 503 + Retry-After instead of
    // every link degrading together.
    const overload = new OverloadMonitor({ clock: this.clock, ...(mediaPool ? { pool: mediaPool } : {}) });
    overload.start();
    this.closers.push({ name: 'overload', close: () => overload.close() });
    const links = new LinkManager({
      ...(mediaPool ? { openMedia: mediaPool.opener() } : {}),
      overload: overload.guard,
      ua,
      clock: this.clock,
      config: this.config,
      profiles: () => this.profiles.profiles,
      phonebook,
      history,
      log: this.log.child({ part: 'links' }),
      portRange: { min: range.first, max: range.last },
      mediaAddressFor: mediaAddressChooser(this.config),
      onCallSetup: (s) => sipMetrics.callSetup.observe(s),
    });
    this.links = links;
    overload.setConcealingProbe(() => links.concealingLinks());
    registerOverloadMetrics(this.metrics.registry, () => links.load());
    this.closers.push({ name: 'links', close: () => links.close() });
    links.start();
    this.warnIfOpen(links, phonebook);

    const messaging = this.messaging(ua, links, phonebook);
    const account = this.presenceAccount();
    this.publishPresence(ua, links, account, sipLog);
    const peerPresence = this.watchPhonebook(ua, phonebook, account, sipLog);
    const transfer = this.transfers(ua, links, phonebook, sipLog);

    const app = await buildApp({
      config: this.config,
      version: VERSION,
      metrics: this.metrics,
      profiles: () => this.profiles.profiles,
      nowMs: () => this.clock.now(),
      startedAtMs: this.startedAtMs,
      listening: () => ({ sip: [...this.sipAddresses], http: this.httpAddress }),
      webRoot: join(ROOT_DIR, 'web'),
      links,
      phonebook,
      history,
      messaging: { list: (q) => messaging.list(q), send: (to, text) => messaging.send(to, text), events: messaging.events },
      peerPresence,
      transfer,
      logger: this.log.child({ part: 'http' }),
    });
    this.app = app;
    this.closers.push({ name: 'http', close: () => app.close() });
    // fastify logs one line per listening socket with this text.
    this.httpAddress = await app.listen({
      host: this.config.http.host,
      port: this.config.http.port,
      listenTextResolver: (address) => `listening: HTTP API and panel on ${address}`,
    });
  }

  /**
   * Text messages (SIP MESSAGE, RFC 3428): kept in DATA_DIR/messages.jsonl; incoming ones from the
   * UA, outgoing ones sent in the dialog of a live link to the same peer when there is one.
   */
  private messaging(ua: SipUserAgent, links: LinkManager, phonebook: Phonebook): Messaging {
    const log = new MessageLog(this.dataDir, { clock: this.clock, onWarning: (m) => this.log.warn(m) });
    // Closers run in reverse: the log is flushed once HTTP stops; a MESSAGE arriving later is written inline.
    this.closers.push({ name: 'messages', close: () => log.close() });
    const live = (state: string) => state !== 'ended' && state !== 'failed';
    const messaging = new Messaging({
      log,
      wallNow: () => this.clock.wallNow(),
      entry: (id) => {
        const e = phonebook.get(id);
        return e ? { uri: e.uri, ...(e.tlsVerify === false ? { tlsVerify: false } : {}) } : undefined;
      },
      liveLinkTo: (uri) => {
        const want = comparableUri(uri);
        return links.list().find((l) => live(l.state) && comparableUri(l.remote) === want)?.id;
      },
      send: (route, text) => {
        // The link's own call, not any call to the same URI: two links may run to one peer.
        const tracked = route.linkId !== undefined ? links.callOf(route.linkId)?.call : undefined;
        const call = tracked ? ua.liveCall(tracked) : undefined;
        // A challenge is answered with our own account (RFC 3261 §22.2): phonebook entries carry only inbound credentials.
        const auth = outboundCredentials(this.config.sip.presence, this.config.sip.registration);
        return ua.sendMessage(route.uri, text, {
          ...(call ? { inDialogOf: call } : {}),
          ...(route.tlsVerify === false ? { tlsVerify: false } : {}),
          ...(auth ? { auth } : {}),
        });
      },
    });
    messaging.events.onListenerError = (event, err) => this.log.error({ event, err: String(err) }, 'messages listener threw');
    ua.on('textMessage', (m) => {
      const r = messaging.receive({ from: m.from, text: m.text, inDialog: m.dialogKey !== undefined });
      this.log.info({ from: m.from, source: m.source, id: r.id, linkId: r.linkId }, `text message from ${m.from}`);
    });
    return messaging;
  }

  /** `sip.presence` completed from `sip.registration`; undefined when no presence server is configured. */
  private presenceAccount(): PresenceAccount | undefined {
    try {
      return presenceAccount(this.config.sip.presence, this.config.sip.registration);
    } catch (err) {
      throw new AcipError('CONFIG_INVALID', `sip.presence.server: ${(err as Error).message}`, 'sip.presence.server');
    }
  }

  /**
   * Our presence for watchers (SUBSCRIBE, RFC 3856) and, with `sip.presence.publish`, at the presence
   * server (PUBLISH, RFC 3903): open while a link is free, busy ("on air") when every link is in use,
   * closed while a configured registration is not up. Worked out again after every link state change
   * and registration change (the link manager's cheap `state` event, no snapshots), once per burst:
   * the changes of one turn of the event loop make one update. On close the publication is removed
   * (Expires 0), waiting at most PUBLISH_REMOVAL_WAIT_MS for the server's answer.
   */
  private publishPresence(ua: SipUserAgent, links: LinkManager, account: PresenceAccount | undefined, log: Logger): void {
    const current = () => {
      const counts = links.stateCounts();
      const reg = links.registration();
      return presenceOf({ ready: reg === null || reg.state === 'registered', linksInUse: counts.total - (counts.byState.ended ?? 0), maxLinks: this.config.sip.maxLinks });
    };
    const publication = account?.publish ? this.publication(ua, account, log) : undefined;
    let timer: TimerHandle | undefined;
    const update = () => {
      timer = undefined;
      const p = current();
      ua.setPresence(p);
      publication?.setPresence(p);
    };
    // Counts are read after the change has settled, not inside the emitter.
    const soon = () => {
      timer ??= this.clock.setTimer(0, update);
    };
    const offs = [links.events.on('state', soon), links.events.on('removed', soon), links.events.on('registration', soon)];
    publication?.start(current());
    update();
    this.closers.push({
      name: 'presence',
      close: async () => {
        for (const off of offs) off();
        timer?.cancel();
        if (!publication) return;
        let wait: TimerHandle | undefined;
        await Promise.race([publication.stop(), new Promise<void>((r) => (wait = this.clock.setTimer(PUBLISH_REMOVAL_WAIT_MS, r)))]);
        wait?.cancel();
      },
    });
  }

  /** The PUBLISH side of `publishPresence`: failures logged once per status, the first success at info. */
  private publication(ua: SipUserAgent, account: PresenceAccount, log: Logger): ReturnType<SipUserAgent['publishPresence']> {
    let last: number | undefined;
    return ua.publishPresence({
      server: account.server,
      aor: account.aor,
      expiresS: account.expiresS,
      ...(account.auth ? { auth: account.auth } : {}),
      onAnswer: (status, reason) => {
        if (status === last) return;
        last = status;
        const fields = { server: account.server, aor: account.aor, status };
        if (status >= 200 && status < 300) log.info(fields, `presence of ${account.aor} published at ${account.server}`);
        else log.warn(fields, `publishing the presence of ${account.aor} at ${account.server} failed: ${status} ${reason}`);
      },
    });
  }

  /**
   * The presence of phonebook entries with `watchPresence` (SUBSCRIBE, RFC 3856), kept in step with
   * the phonebook every PHONEBOOK_SYNC_MS (the phonebook announces no changes); unsubscribed on close.
   * With a presence server the SUBSCRIBEs go through it (the entry's URI as Request-URI), from our
   * presentity, answering its challenges with the presence account.
   */
  private watchPhonebook(ua: SipUserAgent, phonebook: Phonebook, account: PresenceAccount | undefined, log: Logger): PeerPresenceBook {
    const through = account ? { server: account.server, from: account.aor, ...(account.auth ? { auth: account.auth } : {}) } : {};
    const book = new PeerPresenceBook({
      watch: (uri, onPresence) => {
        try {
          return ua.watchPresence(uri, onPresence, through);
        } catch (err) {
          log.warn({ uri, err: String(err) }, `cannot watch the presence of ${uri}`);
          return { stop: () => undefined };
        }
      },
    });
    book.events.onListenerError = (event, err) => log.error({ event, err: String(err) }, 'presence listener threw');
    let timer: TimerHandle | undefined;
    const sync = () => {
      book.reconcile(phonebook.list());
      timer = this.clock.setTimer(PHONEBOOK_SYNC_MS, sync);
    };
    sync();
    // Pushed after 'sip': closers run in reverse, so the unsubscribes go out before the UA closes.
    this.closers.push({
      name: 'peer-presence',
      close: () => {
        timer?.cancel();
        book.close();
      },
    });
    return book;
  }

  /**
   * Call transfer both ways, keyed by each link's own call (RFC 3515, RFC 3891 attended transfer):
   * a REFER received in a link's call dials its target with the link's profile and hangs the old
   * link up once the new one is connected; the API's transfer sends a REFER in a link's call.
   */
  private transfers(ua: SipUserAgent, links: LinkManager, phonebook: Phonebook, log: Logger): TransferPort {
    const transfers = new LinkTransfers({ clock: this.clock, links, ua, phonebook, log });
    this.closers.push({ name: 'transfers', close: () => transfers.close() });
    return transfers;
  }

  /**
   * Inbound admission from `links.*` (source rules, rate limit, digest users, lockout): blocked
   * sources and lockouts are logged and raised as alarms (at most MAX_SOURCE_ALARMS at once; beyond
   * that one alarm stands for the rest, so a flood from many addresses cannot flood the panel).
   */
  private admission(phonebook: Phonebook, log: Logger): Admission {
    const cfg = this.config.links;
    const users = new Map(cfg.inboundAuth.users.map((u) => [u.user, u.password]));
    const raised = new Set<string>();
    let overflow = 0;
    const MAX_SOURCE_ALARMS = 16;
    return new Admission({
      clock: this.clock,
      allowSources: cfg.allowSources,
      rateExempt: cfg.rateLimit.exempt,
      rateLimit: { ratePerS: cfg.rateLimit.requestsPerS, burst: cfg.rateLimit.burst, blockMs: cfg.rateLimit.blockS * 1000 },
      lockout: { maxFailures: cfg.authLockout.maxFailures, lockoutMs: cfg.authLockout.lockoutS * 1000 },
      digest: { realm: cfg.inboundAuth.realm, algorithms: cfg.inboundAuth.algorithms, nonceLifetimeMs: cfg.inboundAuth.nonceLifetimeS * 1000 },
      // Configured users first: a phonebook entry cannot take over a user name of the config file.
      passwordFor: (user) => users.get(user) ?? phonebook.inboundPassword(user),
      authRequired: () => users.size > 0 || phonebook.hasInboundCredentials(),
      onSourceBlocked: (source) => {
        const msg = `SIP source ${source} blocked for ${cfg.rateLimit.blockS} s: over ${cfg.rateLimit.requestsPerS} requests/s (links.rateLimit); its requests are dropped`;
        log.warn({ source }, msg);
        if (raised.size < MAX_SOURCE_ALARMS) {
          raised.add(source);
          this.links?.raiseSystemAlarm('source-blocked', source, msg);
        } else if (overflow++ === 0) {
          this.links?.raiseSystemAlarm('source-blocked', 'more', `more than ${MAX_SOURCE_ALARMS} SIP sources are blocked by the rate limit`);
        }
      },
      onSourceUnblocked: (source) => {
        log.info({ source }, `SIP source ${source} unblocked`);
        if (raised.delete(source)) this.links?.clearSystemAlarm('source-blocked', source);
        else if (overflow > 0 && --overflow === 0) this.links?.clearSystemAlarm('source-blocked', 'more');
      },
      onLockout: (source, user) =>
        log.warn({ source, user }, `SIP digest user ${JSON.stringify(user)} locked out for ${cfg.authLockout.lockoutS} s from ${source} after ${cfg.authLockout.maxFailures} failed attempts`),
    });
  }

  /**
   * Auto-answer on a SIP address reachable from elsewhere, with neither source rules nor caller
   * authentication, answers anyone who finds the port: say so in the log and on the panel.
   */
  private warnIfOpen(links: LinkManager, phonebook: Phonebook): void {
    const cfg = this.config.links;
    if (cfg.answerPolicy !== 'auto' || isLoopbackHost(this.config.sip.host)) return;
    if (cfg.allowSources.length > 0 || cfg.inboundAuth.users.length > 0 || phonebook.hasInboundCredentials()) return;
    const msg =
      `SIP listens on ${this.config.sip.host}, not a loopback address, and answers every call (links.answerPolicy auto) ` +
      'with neither links.allowSources nor caller authentication (links.inboundAuth.users or phonebook credentials): anyone who reaches the port gets a link';
    this.log.warn({ sipHost: this.config.sip.host }, msg);
    links.raiseSystemAlarm('insecure-config', 'open-auto-answer', msg);
  }

  /** The host we put in Via/Contact: the configured public address, or the listen address unless it is a wildcard. */
  private advertisedSipHost(): string | undefined {
    if (this.config.sip.publicAddress) return this.config.sip.publicAddress;
    const h = this.config.sip.host;
    return h === '0.0.0.0' || h === '::' ? undefined : h;
  }

  /**
   * UDP and TCP on the same port (EBU Tech 3326: 5060). With port 0 the UDP port is picked first and
   * TCP takes the same number; if that is taken, try again with another (bounded).
   */
  private async openSipTransports(log: Logger): Promise<SipTransport[]> {
    const { host, port, transports } = this.config.sip;
    for (let attempt = 0; attempt < 10; attempt++) {
      const opened: SipTransport[] = [];
      try {
        let boundPort = port;
        if (transports.includes('udp')) {
          const udp = await UdpSipTransport.listen({ host, port: boundPort, logger: log });
          opened.push(udp);
          boundPort = udp.local.port;
        }
        if (transports.includes('tcp')) {
          const tcp = await TcpSipTransport.listen({ clock: this.clock, host, port: boundPort, logger: log });
          opened.push(tcp);
          boundPort = tcp.local.port;
        }
        for (const t of opened) {
          const addr = `${t.protocol}:${t.local.address}:${t.local.port}`;
          this.sipAddresses.push(addr);
          this.log.info({ socket: `sip-${t.protocol}`, address: t.local.address, port: t.local.port }, `listening: SIP over ${t.protocol.toUpperCase()} on ${t.local.address}:${t.local.port}`);
        }
        return opened;
      } catch (err) {
        for (const t of opened) await t.close();
        if (port !== 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
    throw new Error('could not find a free port for SIP over both UDP and TCP');
  }

  /** SIP over TLS on `sip.tls.port` when a certificate and key are configured (RFC 3261 §26.2). */
  private async openTlsTransport(log: Logger): Promise<TlsSipTransport | undefined> {
    const files = readTlsFiles(this.config.sip.tls);
    if (!files) return undefined;
    const tls = await TlsSipTransport.listen({ clock: this.clock, host: this.config.sip.host, port: this.config.sip.tls.port, logger: log, credentials: files });
    this.tls = tls;
    this.sipAddresses.push(`tls:${tls.local.address}:${tls.local.port}`);
    this.log.info({ socket: 'sip-tls', address: tls.local.address, port: tls.local.port }, `listening: SIP over TLS on ${tls.local.address}:${tls.local.port}`);
    return tls;
  }

  /** A full garbage collection in every running media worker, one after another (node --expose-gc); none without workers. */
  collectMediaGarbage(): Promise<GcValue[]> {
    return this.mediaPool?.collectGarbage() ?? Promise.resolve([]);
  }

  /**
   * Read `sip.tls`'s certificate, key and CA files again and use them for new TLS handshakes; open
   * connections and calls carry on (SIGHUP). On failure the old pair stays in force and the reason
   * is logged. Returns whether a new pair is in force.
   */
  reloadTls(): boolean {
    if (!this.tls) {
      this.log.info('SIGHUP: SIP over TLS is not configured; nothing to reload');
      return false;
    }
    try {
      const files = readTlsFiles(this.config.sip.tls);
      if (!files) return false;
      this.tls.reloadCredentials(files);
      this.log.info({ certFile: this.config.sip.tls.certFile }, 'reloaded the SIP over TLS certificate and key');
      return true;
    } catch (err) {
      this.log.error({ err: String(err) }, `reloading the SIP over TLS certificate failed; keeping the old one: ${(err as Error).message}`);
      return false;
    }
  }

  /** Bound HTTP port (useful when configured as 0 in tests). */
  httpPort(): number | undefined {
    const addr = this.app?.server.address();
    return addr && typeof addr === 'object' ? addr.port : undefined;
  }

  /** Idempotent: closes everything in reverse order; errors are logged, never thrown. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const c of this.closers.reverse()) {
        try {
          await c.close();
        } catch (err) {
          this.log.error({ err }, `closing ${c.name} failed`);
        }
      }
      this.closers = [];
    })();
    return this.closing;
  }
}
