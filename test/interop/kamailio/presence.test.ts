/**
 * Presence through a presence server: Kamailio (kamailio-presence-modules: presence, presence_xml,
 * no database) running the shipped server/deploy/kamailio/acip-presence.cfg, its defines set with
 * -A to loopback ports. Two acip services, started as npm start does, both with `sip.presence`
 * naming Kamailio: studio A PUBLISHes its presence (RFC 3903); studio B watches A's address of
 * record through Kamailio (SUBSCRIBE to the server, Request-URI = A's AOR, RFC 3856), so B never
 * talks to A for presence.
 *
 * Checked: B's phonebook entry shows A open; busy ("on air") while A's only link is in use; open
 * again once it hangs up; closed once A stops (its publication removed). Then, with WITH_AUTH, Kamailio challenges every PUBLISH and SUBSCRIBE and
 * acip answers with the configured credentials (RFC 3261 §22.2), and the presence still arrives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/require-program.js';
import { freePort, PeerProcess } from '../../helpers/sip-peer-process.js';
import { KAMAILIO_MODULES } from '../../helpers/sip-kamailio.js';
import { ROOT_DIR } from '../../../server/version.js';
import { startLtAcip, waitFor, waitForLinkState, type LtAcip } from '../links/harness.js';
import { parseExposition, sumSamples } from './prometheus-text.js';

const has = requireProgram('kamailio');
const PRESENCE_CFG = join(ROOT_DIR, 'server/deploy/kamailio/acip-presence.cfg');
const SECRET = 'presence-secret-for-tests';
/** Bound of every wait for a presence change (the phonebook is brought in step every 5 s). */
const PRESENCE_WAIT_MS = 20_000;

interface PresenceKamailio {
  port: number;
  proc: PeerProcess;
  stop(): Promise<void>;
}

/** The shipped presence config on a free loopback port, as its own process group. */
async function startPresenceKamailio(auth: boolean): Promise<PresenceKamailio> {
  const dir = mkdtempSync(join(tmpdir(), 'acip-kamailio-pres-'));
  const port = await freePort();
  const defines: Record<string, string | number> = {
    LISTEN_UDP: `udp:127.0.0.1:${port}`,
    LISTEN_TCP: `tcp:127.0.0.1:${port}`,
    SERVER_ADDRESS: `"sip:127.0.0.1:${port}"`,
    MODULES_DIR: `"${KAMAILIO_MODULES}"`,
    PRESENCE_SECRET: `"${SECRET}"`,
    CHILDREN: 2,
  };
  const args = ['-DD', '-E', '-Y', dir, '-f', PRESENCE_CFG, ...Object.entries(defines).flatMap(([k, v]) => ['-A', `${k}=${v}`]), ...(auth ? ['-A', 'WITH_AUTH'] : [])];
  const proc = PeerProcess.start('kamailio', args, dir);
  const stop = async () => {
    await proc.stop(1000);
    rmSync(dir, { recursive: true, force: true });
  };
  const up = await proc.waitForOutput(/Listening on/i, 8000);
  if (!up || proc.child.exitCode !== null) {
    await stop();
    throw new Error(`kamailio did not start: ${proc.output.slice(-2000)}`);
  }
  return { port, proc, stop };
}

/** A studio whose presence goes through `kam`: its AOR and, with `password`, its credentials. */
function studioConfig(kam: PresenceKamailio, user: string, password?: string): string {
  return [
    'sip:',
    '  maxLinks: 1',
    '  presence:',
    `    server: sip:127.0.0.1:${kam.port}`,
    `    aor: sip:${user}@127.0.0.1`,
    '    expiresS: 120',
    ...(password !== undefined ? [`    user: ${user}`, `    password: ${password}`] : []),
    '',
  ].join('\n');
}

/** B's phonebook entry for A's address of record, watched; returns its id. */
async function watchEntry(b: LtAcip, aor: string): Promise<string> {
  const created = await b.api('POST', '/api/phonebook', { name: 'Studio A', uri: aor, watchPresence: true, probe: false });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

async function presenceOf(b: LtAcip, id: string): Promise<string | undefined> {
  const list = (await b.api('GET', '/api/phonebook')).body.entries as { id: string; presence?: string }[];
  return list.find((e) => e.id === id)?.presence;
}

async function waitForPresence(b: LtAcip, id: string, want: string): Promise<string | undefined> {
  let last: string | undefined;
  await waitFor(async () => (last = await presenceOf(b, id)) === want, PRESENCE_WAIT_MS, 250);
  return last;
}

async function sipCount(acip: LtAcip, labels: Record<string, string>): Promise<number> {
  const res = await fetch(`${acip.httpUrl}/metrics`);
  return sumSamples(parseExposition(await res.text()), 'acip_sip_requests_total', labels);
}

describe.skipIf(!has)('presence through Kamailio (acip-presence.cfg)', () => {
  describe('without authentication', () => {
    let kam: PresenceKamailio;
    let a: LtAcip;
    let b: LtAcip;
    beforeAll(async () => {
      kam = await startPresenceKamailio(false);
      [a, b] = await Promise.all([startLtAcip({ config: studioConfig(kam, 'studio-a') }), startLtAcip({ config: studioConfig(kam, 'studio-b') })]);
    }, 60_000);
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await kam?.stop();
    });

    it("shows A open on B's phonebook entry, busy while A's only link is on air, open again after, and closed once A stops", async () => {
      const id = await watchEntry(b, 'sip:studio-a@127.0.0.1');
      const log = () => `kamailio: ${kam.proc.output.slice(-2500)}`;
      expect(await waitForPresence(b, id, 'open'), log()).toBe('open');
      // B's SUBSCRIBE went to Kamailio (never to A) and A's PUBLISH reached it.
      expect(kam.proc.output).toMatch(/acip-presence: PUBLISH sip:studio-a@127\.0\.0\.1 /);
      expect(kam.proc.output).toMatch(/acip-presence: SUBSCRIBE sip:studio-a@127\.0\.0\.1 /);
      expect(await sipCount(a, { method: 'SUBSCRIBE', direction: 'in' })).toBe(0);

      // B calls A directly: A's one link is in use, so A is on air.
      const dialed = await b.api('POST', '/api/links', { to: `sip:acip@127.0.0.1:${a.sipPort}` });
      expect(dialed.status, JSON.stringify(dialed.body)).toBeLessThan(300);
      expect((await waitForLinkState(b, dialed.body.id, 'connected', 10_000)).state).toBe('connected');
      expect(await waitForPresence(b, id, 'busy'), log()).toBe('busy');

      await b.api('DELETE', `/api/links/${dialed.body.id}`);
      expect((await waitForLinkState(b, dialed.body.id, 'ended', 10_000)).state).toBe('ended');
      expect(await waitForPresence(b, id, 'open'), log()).toBe('open');

      // A stops: it removes its publication (Expires 0, RFC 3903 §4.5), and Kamailio tells B A is offline.
      await a.close();
      expect(kam.proc.output).toMatch(/acip-presence: PUBLISH sip:studio-a@127\.0\.0\.1 from sip:studio-a@127\.0\.0\.1 expires 0/);
      expect(await waitForPresence(b, id, 'closed'), log()).toBe('closed');
    }, 90_000);
  });

  describe('with digest authentication (WITH_AUTH)', () => {
    let kam: PresenceKamailio;
    let a: LtAcip;
    let b: LtAcip;
    beforeAll(async () => {
      kam = await startPresenceKamailio(true);
      [a, b] = await Promise.all([
        startLtAcip({ config: studioConfig(kam, 'studio-a', SECRET) }),
        startLtAcip({ config: studioConfig(kam, 'studio-b', SECRET) }),
      ]);
    }, 60_000);
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await kam?.stop();
    });

    it('answers the challenges to PUBLISH and SUBSCRIBE once with credentials, and B sees A open', async () => {
      const id = await watchEntry(b, 'sip:studio-a@127.0.0.1');
      expect(await waitForPresence(b, id, 'open'), `kamailio: ${kam.proc.output.slice(-2500)}`).toBe('open');
      expect(kam.proc.output).toMatch(/acip-presence: challenge PUBLISH from sip:studio-a@127\.0\.0\.1/);
      expect(kam.proc.output).toMatch(/acip-presence: challenge SUBSCRIBE from sip:studio-b@127\.0\.0\.1/);
      // Past the challenge: Kamailio handled both.
      expect(kam.proc.output).toMatch(/acip-presence: PUBLISH sip:studio-a@127\.0\.0\.1 /);
      expect(kam.proc.output).toMatch(/acip-presence: SUBSCRIBE sip:studio-a@127\.0\.0\.1 /);
      // Each challenged request was sent exactly twice: once bare, once with credentials.
      // The request counter may file PUBLISH under 'other' (A sends no other such method).
      const publishes = (await sipCount(a, { method: 'PUBLISH', direction: 'out' })) + (await sipCount(a, { method: 'other', direction: 'out' }));
      expect(publishes).toBe(2);
      expect(await sipCount(b, { method: 'SUBSCRIBE', direction: 'out' })).toBe(2);
    }, 60_000);
  });
});
