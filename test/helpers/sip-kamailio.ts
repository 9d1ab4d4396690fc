/**
 * A throw-away Kamailio registrar/proxy on loopback: static digest credentials in an htable, usrloc
 * in memory (db_mode 0), config and runtime dir in a temp folder. Kamailio forks its workers
 * (children, tcp_children) and may ignore SIGTERM, so it runs as its own process group and is stopped
 * with the whole group, SIGKILL after a short grace.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, PeerProcess } from './sip-peer-process.js';

export interface Kamailio {
  port: number;
  proc: PeerProcess;
  stop(): Promise<void>;
}

export interface KamailioOptions {
  users: Record<string, string>;
  /** registrar min_expires (default 10 s). */
  minExpires?: number;
  /** Digest algorithm of the auth module: MD5 (default) or SHA-256 (RFC 8760). */
  algorithm?: 'MD5' | 'SHA-256';
}

export async function startKamailio(opts: KamailioOptions): Promise<Kamailio> {
  const dir = mkdtempSync(join(tmpdir(), 'acip-kamailio-'));
  const port = await freePort();
  const users = Object.entries(opts.users)
    .map(([u, p]) => `    $sht(users=>${u}) = "${p}";`)
    .join('\n');
  const cfg = `#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=1
auto_aliases=no
listen=udp:127.0.0.1:${port}
listen=tcp:127.0.0.1:${port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
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
modparam("usrloc", "db_mode", 0)
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
  if (is_method("ACK") && has_totag()) {
    if (t_check_trans()) { t_relay(); exit; }
    if (lookup("location")) forward();
    exit;
  }
  if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
  t_relay();
}
`;
  const file = join(dir, 'kamailio.cfg');
  writeFileSync(file, cfg);
  const proc = PeerProcess.start('kamailio', ['-DD', '-E', '-f', file, '-Y', dir], dir);
  // Wait until it listens (it logs its listening sockets at startup).
  await proc.waitForOutput(/Listening on|INFO: .*init/i, 8000);
  await new Promise((r) => setTimeout(r, 300));
  return {
    port,
    proc,
    stop: async () => {
      await proc.stop(1000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
