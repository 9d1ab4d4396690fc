/**
 * Scale-out on Kamailio: two acip nodes (the real service, started as npm start does) behind one
 * Kamailio running the shipped server/deploy/kamailio/acip-dispatch.cfg, its defines set with -A to
 * loopback ports. Both nodes register at Kamailio with the shared node secret; Kamailio spreads
 * calls to the service user round-robin over its dispatcher set and probes the nodes with OPTIONS.
 *
 * Checked: 20 calls (2 from baresip with a tone both ways, 18 from sipp with a G.711 offer) all
 * succeed and land on both nodes; a call to a node's own address of record reaches that node; a
 * Prometheus-style scrape of both nodes' /metrics adds up to the calls made; after one node is
 * killed (SIGKILL) and the probes have taken it out of the set, every new call reaches the other.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_TONE, startBaresip, type BaresipPeer } from '../../helpers/baresip.js';
import { requireProgram } from '../../helpers/require-program.js';
import { startDispatchKamailio, type Kamailio } from '../../helpers/sip-kamailio.js';
import { freePort } from '../../helpers/sip-peer-process.js';
import { placeSipp, runSipp, type SippCall } from '../../helpers/sipp-scenario.js';
import { measureTone, readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from '../links/harness.js';
import { parseExposition, sumSamples } from './prometheus-text.js';

const has = requireProgram('kamailio') && requireProgram('sipp') && requireProgram('baresip') && requireProgram('sox');

const SCENARIO = 'dispatch-uac-g711.xml';
const NODE_SECRET = 'node-secret-for-tests';
/** The service user: not registered at Kamailio, so its calls go to the dispatcher set. */
const SERVICE = 'desk';
const SIPP_CALLS = 18;
const AFTER_KILL_CALLS = 6;
/** Bound of one sipp run (its `-timeout`, a failure when reached): calls of 300 ms at 10 calls/s. */
const SIPP_TIMEOUT_S = 30;

interface Node {
  name: string;
  aor: string;
  port: number;
  acip: LtAcip;
}

async function scrape(node: Node): Promise<ReturnType<typeof parseExposition>> {
  const res = await fetch(`${node.acip.httpUrl}/metrics`);
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

async function invitesIn(node: Node): Promise<number> {
  return sumSamples(await scrape(node), 'acip_sip_requests_total', { method: 'INVITE', direction: 'in' });
}

async function optionsIn(node: Node): Promise<number> {
  return sumSamples(await scrape(node), 'acip_sip_requests_total', { method: 'OPTIONS', direction: 'in' });
}

describe.skipIf(!has)('acip nodes behind the Kamailio dispatcher (acip-dispatch.cfg)', () => {
  let kam: Kamailio;
  let nodes: Node[] = [];
  let caller: BaresipPeer;
  let work: string;

  /** `calls` sipp calls to `user` at Kamailio, bounded in count and time. */
  async function sipp(user: string, calls: number, tag: string) {
    const call: SippCall = {
      scenario: SCENARIO,
      role: 'uac',
      service: user,
      media: true,
      calls,
      rate: 10,
      limit: 10,
      extra: ['-d', '300', '-recv_timeout', '5000'],
      timeoutS: SIPP_TIMEOUT_S,
      timeoutError: true,
      traceStats: true,
    };
    // Kamailio is the remote host: the UAC calls the proxy, not a node.
    const r = await runSipp(call, await placeSipp(call, work, kam.port));
    if (r.code !== 0) console.error(`sipp ${tag}: ${r.stdout.slice(-1500)}\n${r.errors().slice(0, 3000)}`);
    const stats = r.stats();
    return { code: r.code, successful: Number(stats.get('SuccessfulCall(C)')), failed: Number(stats.get('FailedCall(C)')) };
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'acip-kam-ds-'));
    const kamPort = await freePort();
    const ports = [await freePort(), await freePort()];
    // Kamailio first, so the nodes' first REGISTER finds it; a node probed before it listens is
    // taken out and comes back with its first answered probe.
    kam = await startDispatchKamailio({
      port: kamPort,
      nodes: ports.map((port) => ({ address: '127.0.0.1', port })),
      nodeSecret: NODE_SECRET,
      pingIntervalS: 1,
      probingThreshold: 1,
      frTimerMs: 2000,
      // acip counts messages as they arrive, retransmissions included: on loopback nothing is lost,
      // so a long T1 keeps a node that stalls under load from seeing one INVITE twice.
      t1Ms: 1500,
    });
    const rtpRanges = ['20000-29999', '30000-39999'];
    nodes = await Promise.all(
      ['a', 'b'].map(async (name, i) => {
        const aor = `sip:acip-${name}@127.0.0.1`;
        const acip = await startLtAcip({
          config: [
            'sip:',
            '  registration:',
            `    registrar: sip:127.0.0.1:${kamPort}`,
            `    aor: ${aor}`,
            `    password: ${NODE_SECRET}`,
            '    expires: 60',
            // Behind a proxy every call comes from the proxy's address.
            'links:',
            '  maxPerSource: 16',
            '',
          ].join('\n'),
          args: ['--sip-port', String(ports[i]), '--rtp-ports', rtpRanges[i]!],
        });
        return { name, aor, port: ports[i]!, acip };
      }),
    );
    caller = await startBaresip();
  }, 60_000);

  afterAll(async () => {
    await caller?.stop();
    for (const n of nodes) await n.acip.close();
    await kam?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('has both nodes registered at Kamailio and answering its OPTIONS probes', async () => {
    for (const n of nodes) {
      const st = await waitFor(async () => {
        const s = (await n.acip.api('GET', '/api/status')).body;
        return s.registration?.state === 'registered' ? s : undefined;
      }, 10_000);
      expect(st?.registration, `node ${n.name}; kamailio: ${kam.proc.output.slice(-1500)}`).toMatchObject({ state: 'registered', aor: n.aor });
      expect(sumSamples(await scrape(n), 'acip_registration_up', { aor: n.aor })).toBe(1);
      // Two answered probes: the first answer has put the node (back) into the set.
      expect(await waitFor(async () => (await optionsIn(n)) >= 2, 10_000)).toBe(true);
    }
  }, 30_000);

  it('sends two tone calls from baresip to different nodes, with the tone heard both ways', async () => {
    const landed: string[] = [];
    for (let call = 0; call < 2; call++) {
      const before = await Promise.all(nodes.map((n) => n.acip.api('GET', '/api/links')));
      const known = new Set(before.flatMap((r) => (r.body.links as any[]).map((l) => l.id)));
      await caller.command(`/dial sip:${SERVICE}@127.0.0.1:${kam.port}`);
      const found = await waitFor(async () => {
        for (const n of nodes) {
          const links = (await n.acip.api('GET', '/api/links')).body.links as any[];
          const l = links.find((x) => x.direction === 'inbound' && !known.has(x.id));
          if (l) return { node: n, link: l };
        }
        return undefined;
      }, 8000);
      expect(found, `call ${call} reached no node; kamailio: ${kam.proc.output.slice(-1500)}`).toBeTruthy();
      const { node, link } = found!;
      landed.push(node.name);
      expect((await waitForLinkState(node.acip, link.id, 'connected', 8000)).state).toBe('connected');
      await sleep(2500);
      await caller.command('/hangup');
      expect((await waitForLinkState(node.acip, link.id, 'ended', 8000)).state).toBe('ended');
      // What baresip sent, as the node recorded it.
      const atNode = measureTone(readWavFile(join(node.acip.recDir, `acip-${link.id}.wav`)), SOURCE_TONE.hz, 1.0, 1.0);
      expect(Math.abs(atNode.frequencyHz[0]! - SOURCE_TONE.hz)).toBeLessThanOrEqual(5);
      expect(Math.abs(atNode.peakEquivDbfs[0]! - SOURCE_TONE.peakDbfs)).toBeLessThanOrEqual(1.5);
      // What the node sent (its default input: 1 kHz at -18 dBFS), as baresip decoded it.
      const dump = await waitFor(() => caller.decDumps()[call], 3000);
      const atCaller = measureTone(readWavFile(dump!), 1000, 1.0, 1.0);
      expect(Math.abs(atCaller.frequencyHz[0]! - 1000)).toBeLessThanOrEqual(5);
      expect(Math.abs(atCaller.peakEquivDbfs[0]! + 18)).toBeLessThanOrEqual(1);
    }
    expect(new Set(landed).size).toBe(2);
  }, 60_000);

  it('spreads 18 sipp calls over both nodes, and the nodes\' scraped call counters add up to all 20 calls', async () => {
    const r = await sipp(SERVICE, SIPP_CALLS, 'spread');
    expect(r, `kamailio: ${kam.proc.output.slice(-1500)}`).toEqual({ code: 0, successful: SIPP_CALLS, failed: 0 });
    const perNode = await Promise.all(nodes.map(invitesIn));
    // Round-robin: neither node is left out.
    for (const n of perNode) expect(n).toBeGreaterThanOrEqual(SIPP_CALLS / 4);
    expect(perNode.reduce((a, b) => a + b, 0)).toBe(SIPP_CALLS + 2);
    console.info(`dispatch: INVITEs per node after ${SIPP_CALLS + 2} calls: ${nodes.map((n, i) => `${n.name}=${perNode[i]}`).join(' ')}`);
  }, 60_000);

  it('routes a call to a node\'s own address of record to that node', async () => {
    const target = nodes[1]!;
    const before = await Promise.all(nodes.map(invitesIn));
    const r = await sipp(`acip-${target.name}`, 1, 'aor');
    expect(r).toEqual({ code: 0, successful: 1, failed: 0 });
    const after = await Promise.all(nodes.map(invitesIn));
    expect(after.map((n, i) => n - before[i]!)).toEqual([0, 1]);
  }, 45_000);

  it('takes a killed node out of the set once a probe goes unanswered, and sends every new call to the other', async () => {
    const [dead, alive] = nodes as [Node, Node];
    const killedAt = Date.now();
    await dead.acip.stop('SIGKILL');
    const down = new RegExp(`acip-dispatch: node down: sip:127\\.0\\.0\\.1:${dead.port}\\b`);
    expect(await kam.proc.waitForOutput(down, 10_000), kam.proc.output.slice(-1500)).toBe(true);
    // A figure for the README, not an assertion: probe interval 1 s, fr_timer 2 s, threshold 1.
    console.info(`dispatch: node ${dead.name} marked down ${Date.now() - killedAt} ms after SIGKILL`);
    const before = await invitesIn(alive);
    const r = await sipp(SERVICE, AFTER_KILL_CALLS, 'after-kill');
    expect(r, `kamailio: ${kam.proc.output.slice(-1500)}`).toEqual({ code: 0, successful: AFTER_KILL_CALLS, failed: 0 });
    expect((await invitesIn(alive)) - before).toBe(AFTER_KILL_CALLS);
  }, 60_000);
});
