/**
 * Throw-away Kamailio instances on loopback, config and runtime dir in a temp folder:
 * - `startKamailio`: a registrar/proxy with static digest credentials in an htable, usrloc in memory
 *   (db_mode 0), optionally listening for SIP over TLS (kamailio-tls-modules) with certificates of
 *   the test run, and optionally record-routing its calls.
 * - `startDispatchKamailio`: the shipped server/deploy/kamailio/acip-dispatch.cfg, its defines set
 *   with `-A` to loopback ports and a dispatcher list of the test's acip nodes.
 * Kamailio forks its workers (children, tcp_children) and may ignore SIGTERM, so it runs as its own
 * process group and is stopped with the whole group, SIGKILL after a short grace.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_DIR } from '../../server/version.js';
import { freePort, PeerProcess } from './sip-peer-process.js';

export interface Kamailio {
  /** UDP and TCP port. */
  port: number;
  /** SIP over TLS port, when started with `tls`. */
  tlsPort?: number;
  proc: PeerProcess;
  /** Temp folder with the config (removed by stop). */
  dir: string;
  stop(): Promise<void>;
}

/** PEM files for Kamailio's TLS listener (server side) and its connections to others (client side). */
export interface KamailioTls {
  certFile: string;
  keyFile: string;
  /** CA that Kamailio verifies the certificates of the peers it connects to against. */
  caFile: string;
}

export interface KamailioOptions {
  users: Record<string, string>;
  /** registrar min_expires (default 10 s). */
  minExpires?: number;
  /** Digest algorithm of the auth module: MD5 (default) or SHA-256 (RFC 8760). */
  algorithm?: 'MD5' | 'SHA-256';
  /** Also listen for SIP over TLS on a free port (`tlsPort`). */
  tls?: KamailioTls;
  /**
   * Record-Route initial INVITEs (RFC 3261 §16.6 step 4) so the whole dialog passes the proxy:
   * needed when the caller cannot reach the callee's contact itself (UDP caller, TLS-only callee).
   */
  recordRoute?: boolean;
}

export const KAMAILIO_MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';

/** The shipped dispatcher config, run by `startDispatchKamailio`. */
export const DISPATCH_CFG = join(ROOT_DIR, 'server/deploy/kamailio/acip-dispatch.cfg');

/** Kamailio's tls.cfg: TLS 1.2 or later; clients need no certificate, servers we reach are verified. */
function tlsConfig(t: KamailioTls): string {
  return `[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
certificate = ${t.certFile}
private_key = ${t.keyFile}
ca_list = ${t.caFile}

[client:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
ca_list = ${t.caFile}
`;
}

export async function startKamailio(opts: KamailioOptions): Promise<Kamailio> {
  const dir = mkdtempSync(join(tmpdir(), 'acip-kamailio-'));
  const port = await freePort();
  const tlsPort = opts.tls ? await freePort() : undefined;
  const users = Object.entries(opts.users)
    .map(([u, p]) => `    $sht(users=>${u}) = "${p}";`)
    .join('\n');
  let tlsGlobals = '';
  let tlsModule = '';
  if (opts.tls) {
    const tlsCfg = join(dir, 'tls.cfg');
    writeFileSync(tlsCfg, tlsConfig(opts.tls));
    tlsGlobals = `enable_tls=yes\nlisten=tls:127.0.0.1:${tlsPort}\ntcp_accept_aliases=yes\n`;
    tlsModule = `loadmodule "tls.so"\nmodparam("tls", "config", "${tlsCfg}")\n`;
  }
  const rr = opts.recordRoute === true;
  const cfg = `#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=1
auto_aliases=no
listen=udp:127.0.0.1:${port}
listen=tcp:127.0.0.1:${port}
${tlsGlobals}mpath="${KAMAILIO_MODULES}"
${tlsModule}loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "auth.so"
loadmodule "htable.so"
${rr ? 'loadmodule "rr.so"\n' : ''}modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", ${opts.minExpires ?? 10})
modparam("registrar", "default_expires", 60)
modparam("auth", "algorithm", "${opts.algorithm ?? 'MD5'}")
modparam("htable", "htable", "users=>size=4;")

event_route[htable:mod-init] {
${users}
}

request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (is_method("REGISTER")) {
    if (!pv_auth_check("$td", "$sht(users=>$tU)", "0", "1")) {
      auth_challenge("$td", "1");
      exit;
    }
    if (!save("location")) sl_reply_error();
    exit;
  }
  if (is_method("CANCEL")) {
    if (t_check_trans()) t_relay();
    exit;
  }
${rr ? '  if (has_totag() && loose_route()) { t_relay(); exit; }\n' : ''}  if (is_method("ACK") && has_totag()) {
    if (t_check_trans()) { t_relay(); exit; }
    if (lookup("location")) forward();
    exit;
  }
  if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
${rr ? '  if (is_method("INVITE")) record_route();\n' : ''}  t_relay();
}

# What went out, and how (tests read these lines): method, Request-URI, transport, destination.
onsend_route {
  if (is_request()) xlog("L_NOTICE", "acip-test: sent $rm $ru over $snd(sproto) to $snd(ip):$snd(port)\n");
}
`;
  const file = join(dir, 'kamailio.cfg');
  writeFileSync(file, cfg);
  const k = await spawnKamailio(dir, ['-f', file]);
  return { ...k, port, ...(tlsPort !== undefined ? { tlsPort } : {}) };
}

export interface DispatchNode {
  address: string;
  port: number;
}

export interface DispatchKamailioOptions {
  /** UDP and TCP port (default: a free one); given when the nodes must know it before Kamailio starts. */
  port?: number;
  /** The acip nodes of dispatcher set 1, in list order. */
  nodes: DispatchNode[];
  /** Digest secret the nodes register with (NODE_SECRET). */
  nodeSecret: string;
  /** Seconds between OPTIONS probes (DS_PING_INTERVAL, default 1). */
  pingIntervalS?: number;
  /** Unanswered probes before a node is taken out (DS_PROBING_THRESHOLD, default 1). */
  probingThreshold?: number;
  /** tm fr_timer: how long a probe or request waits for an answer, ms (FR_TIMER_MS, default 1000). */
  frTimerMs?: number;
  /** RFC 3261 T1 of Kamailio's UDP retransmissions, ms (SIP_T1_MS, default 500). */
  t1Ms?: number;
}

/** The shipped dispatcher config on a free loopback port (`-A` defines; the file is not copied or edited). */
export async function startDispatchKamailio(opts: DispatchKamailioOptions): Promise<Kamailio> {
  const dir = mkdtempSync(join(tmpdir(), 'acip-kamailio-ds-'));
  const port = opts.port ?? (await freePort());
  const list = join(dir, 'dispatcher.list');
  writeFileSync(list, opts.nodes.map((n) => `1 sip:${n.address}:${n.port}\n`).join(''));
  const defines: Record<string, string | number> = {
    LISTEN_UDP: `udp:127.0.0.1:${port}`,
    LISTEN_TCP: `tcp:127.0.0.1:${port}`,
    MODULES_DIR: `"${KAMAILIO_MODULES}"`,
    DS_LIST: `"${list}"`,
    DS_SET: 1,
    DS_PING_INTERVAL: opts.pingIntervalS ?? 1,
    DS_PROBING_THRESHOLD: opts.probingThreshold ?? 1,
    NODE_SECRET: `"${opts.nodeSecret}"`,
    REG_MIN_EXPIRES: 10,
    FR_TIMER_MS: opts.frTimerMs ?? 1000,
    SIP_T1_MS: opts.t1Ms ?? 500,
    CHILDREN: 2,
  };
  const args = ['-f', DISPATCH_CFG, ...Object.entries(defines).flatMap(([k, v]) => ['-A', `${k}=${v}`])];
  const k = await spawnKamailio(dir, args);
  return { ...k, port };
}

async function spawnKamailio(dir: string, args: string[]): Promise<Omit<Kamailio, 'port'>> {
  const proc = PeerProcess.start('kamailio', ['-DD', '-E', '-Y', dir, ...args], dir);
  // Wait until it listens (it logs its listening sockets at startup).
  const up = await proc.waitForOutput(/Listening on|INFO: .*init/i, 8000);
  if (!up || proc.child.exitCode !== null) {
    await proc.stop(1000);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kamailio did not start: ${proc.output.slice(-2000)}`);
  }
  await new Promise((r) => setTimeout(r, 300));
  return {
    proc,
    dir,
    stop: async () => {
      await proc.stop(1000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
