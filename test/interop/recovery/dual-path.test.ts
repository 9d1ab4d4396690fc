/**
 * Dual-path streaming signalled in SDP (RFC 7104 §3 a=group:DUP; RFC 7198 duplication), between
 * real peers over loopback.
 *
 * Two acip services: studio A dials studio B with a duplicating profile and neither has a configured
 * remote; each learns the other's second path from the SDP alone. A contribution link one way (A
 * sendonly, B recvonly), so no RTP comes back for A to latch onto. B's first path runs through a
 * UDP relay the test can cut: B binds its RTP on 127.0.0.5 but advertises 127.0.0.1 (a loopback
 * caller gets the loopback address), where the relay listens on the same port and forwards. B's
 * second path binds and advertises 127.0.0.4, A's second path sends from 127.0.0.2. Mid-call the
 * relay stops forwarding: the tone in B's recording runs on without a gap, proven by its level in
 * every 10 ms block and by the frames B concealed.
 *
 * baresip (which knows no grouping, RFC 5888 §9.2) called by and calling a duplicating acip: the
 * call works as a single path and the tone arrives both ways.
 */
import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmsDbfs } from '../../helpers/audio-measure.js';
import { SOURCE_TONE, startConsoleBaresip, type ConsoleBaresip, closedDecDumps } from '../../helpers/baresip.js';
import { requireProgram } from '../../helpers/require-program.js';
import { measureTone, readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from '../links/harness.js';

const profileText = (name: string, direction: string) =>
  `name: ${name}\ntitle: Opus over two paths\ncodecs: [{ codec: opus, channels: 2, bitrate: 128000 }]\nptimeMs: 20\ndirection: ${direction}\n` +
  'jitterBuffer: { mode: fixed, delayMs: 80 }\nredundancy: { duplicate: true }\n';

/** A one-way UDP forwarder on a fixed address and port that the test can cut. Test-only. */
class CuttableRelay {
  forwarded = 0;
  dropped = 0;
  private cutNow = false;
  private constructor(private readonly front: Socket, private readonly back: Socket, private readonly to: { address: string; port: number }) {
    front.on('message', (msg) => {
      if (this.cutNow) {
        this.dropped++;
        return;
      }
      this.forwarded++;
      back.send(msg, to.port, to.address);
    });
  }

  static async open(at: { address: string; port: number }, to: { address: string; port: number }): Promise<CuttableRelay> {
    const front = createSocket('udp4');
    const back = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.bind(at.port, at.address, () => resolve());
    });
    await new Promise<void>((resolve) => back.bind(0, '127.0.0.1', () => resolve()));
    return new CuttableRelay(front, back, to);
  }

  cut(): void {
    this.cutNow = true;
  }

  close(): void {
    for (const s of [this.front, this.back]) {
      try {
        s.close();
      } catch {
        /* closed */
      }
    }
  }
}

/** Whether `port` (UDP) can be bound on `address` now. */
async function udpFree(address: string, port: number): Promise<boolean> {
  const s = createSocket('udp4');
  return new Promise<boolean>((resolve) => {
    s.once('error', () => resolve(false));
    s.bind(port, address, () => s.close(() => resolve(true)));
  });
}

/** An even port P with P and P+1 free on every address given (bounded tries). */
async function freePairOn(addresses: string[]): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = 42000 + 2 * Math.floor(Math.random() * 3000);
    let ok = true;
    for (const a of addresses) for (const q of [p, p + 1]) ok = ok && (await udpFree(a, q));
    if (ok) return p;
  }
  throw new Error('no free port pair on the loopback addresses');
}

/** 10 ms blocks (after `skipS`, before the last `tailS`) whose level is far below the tone's. */
function gaps(path: string, skipS: number, tailS: number): { blocks: number; quiet: number[] } {
  const wav = readWavFile(path);
  const block = Math.round(wav.sampleRate / 100);
  const n = wav.channels;
  const quiet: number[] = [];
  let blocks = 0;
  for (let at = Math.round(skipS * wav.sampleRate); at + block <= wav.frames - tailS * wav.sampleRate; at += block) {
    blocks++;
    // The tone is a -18 dBFS peak sine (-21 dBFS RMS); a concealed or missing block falls far below.
    if (rmsDbfs(wav.samples.subarray(at * n, (at + block) * n), n, 0) < -30) quiet.push(at / wav.sampleRate);
  }
  return { blocks, quiet };
}

describe('two acip services over two paths signalled in SDP, the first path cut mid-call', () => {
  let a: LtAcip | undefined;
  let b: LtAcip | undefined;
  const relays: CuttableRelay[] = [];
  afterAll(async () => {
    for (const r of relays) r.close();
    await a?.close();
    await b?.close();
  });

  it('keeps the tone without a gap on the second path, and B shows the first path’s loss', async () => {
    const port = await freePairOn(['127.0.0.1', '127.0.0.4', '127.0.0.5']);
    // The relay takes B's advertised first-path address before B starts.
    relays.push(await CuttableRelay.open({ address: '127.0.0.1', port }, { address: '127.0.0.5', port }));
    relays.push(await CuttableRelay.open({ address: '127.0.0.1', port: port + 1 }, { address: '127.0.0.5', port: port + 1 }));
    b = await startLtAcip({
      profiles: { 'lt-dual-rx.yaml': profileText('lt-dual-rx', 'recvonly') },
      config: 'defaultProfile: lt-dual-rx\nrtp:\n  duplicatePath: { localHost: 127.0.0.4 }\n',
      args: ['--rtp-host', '127.0.0.5', '--rtp-ports', `${port}-${port + 1}`],
    });
    a = await startLtAcip({
      profiles: { 'lt-dual-tx.yaml': profileText('lt-dual-tx', 'sendonly') },
      config: 'defaultProfile: lt-dual-tx\nrtp:\n  duplicatePath: { localHost: 127.0.0.2 }\n',
    });
    const r = await a.api('POST', '/api/links', { to: `sip:studio-b@127.0.0.1:${b.sipPort}`, profile: 'lt-dual-tx' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const aLink = r.body.id as string;
    const connected = await waitForLinkState(a, aLink, 'connected', 10_000);
    expect(connected.state, JSON.stringify(connected.endReason)).toBe('connected');
    const bLink = await waitFor(async () => ((await b!.api('GET', '/api/links')).body.links as { id: string; state: string }[]).find((l) => l.state === 'connected'), 10_000);
    expect(bLink).toBeTruthy();
    const aSnap = (await a.api('GET', `/api/links/${aLink}`)).body;
    const sdps = `${aSnap.localSdp}\n${aSnap.remoteSdp}`;
    // Both SDPs carry two grouped lines: B's first on the relay's address, its second on 127.0.0.4.
    expect(aSnap.localSdp, sdps).toMatch(/^a=group:DUP 1 2\r?$/m);
    expect(aSnap.remoteSdp, sdps).toMatch(/^a=group:DUP 1 2\r?$/m);
    expect(aSnap.remoteSdp, sdps).toMatch(new RegExp(`^m=audio ${port} RTP/AVP`, 'm'));
    expect(aSnap.remoteSdp, sdps).toMatch(/^c=IN IP4 127\.0\.0\.4\r?$/m);

    await sleep(2500);
    const beforeCut = (await b.api('GET', `/api/links/${bLink!.id}`)).body;
    relays[0]!.cut();
    const cutAtS = (Date.now() - Date.parse(beforeCut.connectedAt ?? beforeCut.createdAt)) / 1000;
    await sleep(2500);
    const afterCut = (await b.api('GET', `/api/links/${bLink!.id}`)).body;
    expect((await a.api('DELETE', `/api/links/${aLink}`)).status).toBe(200);
    await waitForLinkState(b, bLink!.id, 'ended', 8000);

    const why = JSON.stringify({ cutAtS, relay: { forwarded: relays[0]!.forwarded, dropped: relays[0]!.dropped }, before: beforeCut.recovery, after: afterCut.recovery, rxBefore: beforeCut.rx, rxAfter: afterCut.rx });
    const rec = afterCut.recovery;
    expect(rec?.duplicate, why).toBe(true);
    // B sent nothing to A's second path (one way); A's copy reached B's second path.
    expect(rec.paths.map((p: { received: number }) => p.received > 100), why).toEqual([true, true]);
    // Each path's delay against the other, from the numbers that came over both: one is the other's negative.
    expect(rec.paths.map((p: { relativeDelayMs: unknown }) => typeof p.relativeDelayMs), why).toEqual(['number', 'number']);
    expect(rec.paths[0].relativeDelayMs + rec.paths[1].relativeDelayMs, why).toBeCloseTo(0, 1);
    expect(relays[0]!.dropped, why).toBeGreaterThan(50);
    // After the cut the first path's loss grows by what the relay dropped; the second carried it all.
    expect(rec.paths[0].lost - beforeCut.recovery.paths[0].lost, why).toBeGreaterThan(50);
    expect(rec.recoveredByPath - beforeCut.recovery.recoveredByPath, why).toBeGreaterThan(50);
    // Frames concealed after the cut: none, or at most the one in flight.
    expect(afterCut.rx.concealedMs - beforeCut.rx.concealedMs, why).toBeLessThanOrEqual(20);
    const file = join(b.recDir, `acip-${bLink!.id}.wav`);
    const tone = measureTone(readWavFile(file), 1000, 1.0, 3);
    expect(Math.abs(tone.frequencyHz[0]! - 1000), JSON.stringify(tone)).toBeLessThanOrEqual(5);
    expect(Math.abs(tone.peakEquivDbfs[0]! - -18), JSON.stringify(tone)).toBeLessThanOrEqual(1);
    const g = gaps(file, 1.0, 0.5);
    expect(g.blocks, why).toBeGreaterThan(300);
    expect(g.quiet, `${why} quiet at ${JSON.stringify(g.quiet.slice(0, 20))}`).toEqual([]);
  }, 60_000);
});

const hasBaresip = requireProgram('baresip') && requireProgram('sox');

/** Plain baresip (PCMA, no recovery extensions) at `uri`. */
async function startBaresip(): Promise<ConsoleBaresip & { uri: string }> {
  const b = await startConsoleBaresip({
    tag: 'dual',
    account: (port) => `"Plain studio" <sip:studio@127.0.0.1:${port}>;regint=0;answermode=auto;audio_codecs=PCMA/8000/1`,
  });
  return Object.assign(b, { uri: `sip:studio@127.0.0.1:${b.sipPort}` });
}

const PCMA_DUP =
  'name: lt-dual-pcma\ntitle: PCMA over two paths\ncodecs: [{ codec: PCMA }]\nptimeMs: 20\n' +
  'jitterBuffer: { mode: adaptive, minMs: 20, maxMs: 120 }\nredundancy: { duplicate: true }\n';

describe.skipIf(!hasBaresip)('a duplicating acip and baresip, which knows no grouping', () => {
  let acip: LtAcip;
  beforeAll(async () => {
    acip = await startLtAcip({
      profiles: { 'lt-dual-pcma.yaml': PCMA_DUP },
      config: 'defaultProfile: lt-dual-pcma\nrtp:\n  duplicatePath: { localHost: 127.0.0.2 }\n',
    });
  }, 60_000);
  afterAll(async () => {
    await acip?.close();
  });

  it.each(['outbound', 'inbound'] as const)('%s: the call runs on one path and the tone arrives both ways', async (direction) => {
    const b = await startBaresip();
    try {
      let id: string;
      if (direction === 'outbound') {
        const r = await acip.api('POST', '/api/links', { to: b.uri, profile: 'lt-dual-pcma' });
        expect(r.status).toBe(201);
        id = r.body.id;
      } else {
        const before = new Set(((await acip.api('GET', '/api/links')).body.links as { id: string }[]).map((l) => l.id));
        await b.command(`/dial sip:acip@127.0.0.1:${acip.sipPort}`);
        const link = await waitFor(async () => ((await acip.api('GET', '/api/links')).body.links as { id: string; direction: string }[]).find((l) => !before.has(l.id) && l.direction === 'inbound'), 10_000);
        expect(link, b.proc.output.slice(-2000)).toBeTruthy();
        id = link!.id;
      }
      const connected = await waitForLinkState(acip, id, 'connected', 10_000);
      expect(connected.state, `${JSON.stringify(connected.endReason)} ${b.proc.output.slice(-1500)}`).toBe('connected');
      await sleep(3500);
      const snap = (await acip.api('GET', `/api/links/${id}`)).body;
      expect((await acip.api('DELETE', `/api/links/${id}`)).status).toBe(200);
      await waitForLinkState(acip, id, 'ended', 8000);
      await waitFor(() => /terminated|session closed/i.test(b.proc.output), 3000);
      const why = `${snap.localSdp}\n${snap.remoteSdp}\n${JSON.stringify(snap.recovery)}`;
      if (direction === 'outbound') {
        // Our offer grouped two lines; baresip's answer has no group: one path.
        expect(snap.localSdp, why).toMatch(/^a=group:DUP 1 2\r?$/m);
        expect(snap.localSdp.match(/^m=audio /gm)?.length, why).toBe(2);
      } else {
        expect(snap.localSdp, why).not.toMatch(/a=group/);
      }
      expect(snap.remoteSdp, why).not.toMatch(/a=group/);
      // No second path in force: nothing is duplicated to baresip.
      expect(snap.recovery?.duplicate ?? false, why).toBe(false);
      expect(snap.rx.packets, why).toBeGreaterThan(100);
      const dumps = await closedDecDumps(b.sndDir);
      expect(dumps.length, why).toBe(1);
      const atBaresip = measureTone(readWavFile(dumps[0]!), 1000, 1.0, 1.5);
      expect(Math.abs(atBaresip.frequencyHz[0]! - 1000), JSON.stringify(atBaresip)).toBeLessThanOrEqual(5);
      expect(Math.abs(atBaresip.peakEquivDbfs[0]! - -18), JSON.stringify(atBaresip)).toBeLessThanOrEqual(1);
      const atAcip = measureTone(readWavFile(join(acip.recDir, `acip-${id}.wav`)), SOURCE_TONE.hz, 1.0, 1.5);
      expect(Math.abs(atAcip.frequencyHz[0]! - SOURCE_TONE.hz), `${JSON.stringify(atAcip)} ${why} ${JSON.stringify(snap.rx)}`).toBeLessThanOrEqual(5);
      expect(Math.abs(atAcip.peakEquivDbfs[0]! - SOURCE_TONE.peakDbfs), JSON.stringify(atAcip)).toBeLessThanOrEqual(1.5);
    } finally {
      await b.stop();
    }
  }, 60_000);
});
