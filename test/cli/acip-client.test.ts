/**
 * The `acip` CLI client against the service's real HTTP layer (through `app.inject`, no socket),
 * over a realistic state: what it prints for each command and its exit codes (0 ok, 1 the service
 * refused or is unreachable, 2 usage). test/interop/links/cli.test.ts runs the same binary against a
 * real call.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { runClient, type ClientEnv } from '../../server/cli/acip-client.js';
import { makeApp, type TestApp } from '../api/memory-links.js';
import { seedRealisticState } from '../api/realistic-state.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A fetch that hands the request to fastify's inject. */
function injectFetch(a: FastifyInstance): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const u = new URL(String(input));
    const res = await a.inject({
      method: (init?.method ?? 'GET') as 'GET',
      url: `${u.pathname}${u.search}`,
      headers: init?.headers as Record<string, string>,
      payload: init?.body as string | undefined,
    });
    return new Response(res.statusCode === 204 ? null : res.body, { status: res.statusCode });
  }) as typeof fetch;
}

async function run(argv: string[], opts: { fetch?: typeof fetch } = {}): Promise<{ code: number; out: string[]; err: string[]; t: TestApp }> {
  const t = await makeApp();
  app = t.app;
  seedRealisticState(t);
  const out: string[] = [];
  const err: string[] = [];
  const env: ClientEnv = { url: 'http://acip.test:8080/', password: undefined, fetch: opts.fetch ?? injectFetch(t.app), out: (s) => out.push(s), err: (s) => err.push(s) };
  return { code: await runClient(argv, env), out, err, t };
}

describe('acip CLI client', () => {
  it('prints the version, sockets, registration and link counts for `status`', async () => {
    const { code, out } = await run(['status']);
    expect(code).toBe(0);
    expect(out).toEqual([
      'acip 1.0.0',
      'sip: udp:127.0.0.1:5060   http: -',
      'registration: registered (sip:studio1@example.net)',
      'links: 4 connected=1 offered=1 redialling=1 ended=1',
    ]);
  });

  it('prints one line per link for `links`, with codec, receive quality and end reason', async () => {
    const { code, out } = await run(['links']);
    expect(code).toBe(0);
    expect(out).toHaveLength(4);
    expect(out[0]).toBe('lc  connected  outbound Studio 2  opus/48000/2 20ms  loss 0.01% jitter 1.7ms buffer 63ms');
    expect(out[2]).toBe('lf  redialling outbound sip:far@203.0.113.7  -   (network 408: Request Timeout)');
  });

  it('dials with the flags it was given and prints the new link', async () => {
    const { code, out, t } = await run(['dial', 'sip:studio3@192.0.2.11', '--profile', 'g722-voice', '--input', 'tone', '--permanent']);
    expect(code).toBe(0);
    expect(out).toEqual(['l1  dialling   outbound sip:studio3@192.0.2.11  -']);
    expect(t.links.get('l1')).toMatchObject({ profile: 'g722-voice', input: 'tone', permanent: true });
  });

  it('hangs up by id and prints the ended link', async () => {
    const { code, out } = await run(['hangup', 'lc']);
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^lc {2}ended .*\(local: hang-up\)$/);
  });

  it.each([
    [['dial', 'mailto:studio@example.net'], 'acip: 400: to: not a SIP URI'],
    [['hangup', 'nope'], 'acip: 404: no link "nope"'],
  ])('exits 1 and prints the service error for %j', async (argv, message) => {
    const { code, err } = await run(argv);
    expect(code).toBe(1);
    expect(err).toEqual([message]);
  });

  it.each([[[]], [['dial']], [['dial', '--permanent']], [['hangup']], [['reboot']]])('exits 2 with the usage for %j', async (argv) => {
    const { code, err } = await run(argv);
    expect(code).toBe(2);
    expect(err[0]).toMatch(/^usage: acip /);
  });

  it('exits 1 naming the URL when the service cannot be reached', async () => {
    const refused = (async () => {
      throw new Error('connect ECONNREFUSED');
    }) as typeof fetch;
    const { code, err } = await run(['status'], { fetch: refused });
    expect(code).toBe(1);
    expect(err).toEqual(['acip: cannot reach http://acip.test:8080/: connect ECONNREFUSED']);
  });
});
