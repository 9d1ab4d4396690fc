/**
 * `acip` — a small command-line client of the REST API, for scripts and for engineers on a terminal.
 *
 *   acip status                       service, registration and link counts
 *   acip links                        one line per link
 *   acip dial URI [--profile P] [--input SPEC] [--output SPEC] [--permanent]
 *   acip hangup ID
 *
 * The service is found at $ACIP_URL (default http://127.0.0.1:8080); $ACIP_HTTP_PASSWORD is sent as
 * HTTP Basic credentials when set. Exit codes: 0 ok, 1 the service refused or failed, 2 usage error.
 */
import type { DialBody, ErrorBody, LinkList, LinkSnapshot, StatusBody } from '../api/contract/index.js';

export interface ClientEnv {
  url: string;
  password: string | undefined;
  fetch: typeof fetch;
  out: (s: string) => void;
  err: (s: string) => void;
}

const USAGE = `usage: acip status | links | dial URI [--profile P] [--input SPEC] [--output SPEC] [--permanent] | hangup ID
environment: ACIP_URL (default http://127.0.0.1:8080), ACIP_HTTP_PASSWORD`;

async function call(env: ClientEnv, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (env.password) headers.authorization = `Basic ${Buffer.from(`acip:${env.password}`).toString('base64')}`;
  const res = await env.fetch(`${env.url.replace(/\/$/, '')}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json };
}

export function formatLink(l: LinkSnapshot): string {
  const codec = l.codec ? `${l.codec.name}/${l.codec.clockRate}/${l.codec.channels} ${l.codec.ptimeMs}ms` : '-';
  const rx = l.rx ? `loss ${l.rx.lossPct.toFixed(2)}% jitter ${l.rx.jitterMs.toFixed(1)}ms buffer ${l.rx.bufferMs.toFixed(0)}ms` : '';
  const end = l.endReason ? ` (${l.endReason.by}${l.endReason.sipStatus ? ` ${l.endReason.sipStatus}` : ''}: ${l.endReason.reason})` : '';
  return `${l.id}  ${l.state.padEnd(10)} ${l.direction.padEnd(8)} ${l.remoteName ?? l.remote}  ${codec}  ${rx}${end}`.trimEnd();
}

function flagValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function runClient(argv: string[], env: ClientEnv): Promise<number> {
  const [cmd, ...rest] = argv;
  const fail = (r: { status: number; json: unknown }) => {
    const j = r.json as Partial<ErrorBody> | string;
    env.err(`acip: ${r.status}${j && typeof j === 'object' && j.message ? `: ${j.message}` : ''}`);
    return 1;
  };
  try {
    switch (cmd) {
      case 'status': {
        const r = await call(env, 'GET', '/api/status');
        if (r.status !== 200) return fail(r);
        const s = r.json as StatusBody;
        env.out(`acip ${s.version}`);
        env.out(`sip: ${s.listening.sip.join(', ') || '-'}   http: ${s.listening.http ?? '-'}`);
        env.out(`registration: ${s.registration ? `${s.registration.state} (${s.registration.aor})` : 'none configured'}`);
        env.out(`links: ${s.links.total}${Object.entries(s.links.byState).map(([k, v]) => ` ${k}=${v}`).join('')}`);
        return 0;
      }
      case 'links': {
        const r = await call(env, 'GET', '/api/links');
        if (r.status !== 200) return fail(r);
        const links = (r.json as LinkList).links;
        if (links.length === 0) env.out('no links');
        for (const l of links) env.out(formatLink(l));
        return 0;
      }
      case 'dial': {
        const to = rest[0];
        if (!to || to.startsWith('--')) {
          env.err(USAGE);
          return 2;
        }
        const body: DialBody = { to };
        for (const k of ['profile', 'input', 'output'] as const) {
          const v = flagValue(rest, k);
          if (v !== undefined) body[k] = v;
        }
        if (rest.includes('--permanent')) body.permanent = true;
        const r = await call(env, 'POST', '/api/links', body);
        if (r.status !== 201) return fail(r);
        env.out(formatLink(r.json as LinkSnapshot));
        return 0;
      }
      case 'hangup': {
        const id = rest[0];
        if (!id) {
          env.err(USAGE);
          return 2;
        }
        const r = await call(env, 'DELETE', `/api/links/${encodeURIComponent(id)}`);
        if (r.status !== 200) return fail(r);
        env.out(formatLink(r.json as LinkSnapshot));
        return 0;
      }
      default:
        env.err(USAGE);
        return 2;
    }
  } catch (err) {
    env.err(`acip: cannot reach ${env.url}: ${(err as Error).message}`);
    return 1;
  }
}
