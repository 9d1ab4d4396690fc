/**
 * Acceptance: acip registered at Kamailio receives a call from baresip routed through
 * Kamailio. acip's registration comes from its config file (sip.registration, digest auth against
 * Kamailio's htable credentials); baresip dials acip's AOR at Kamailio, which looks it up in usrloc
 * and relays the INVITE to acip's contact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/require-program.js';
import { startKamailio, type Kamailio } from '../../helpers/sip-kamailio.js';
import { BARESIP_CODECS, SOURCE_TONE, startBaresip, type BaresipPeer, closedDecDumps } from '../../helpers/baresip.js';
import { measureTone, readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from './harness.js';
import { join } from 'node:path';

const has = requireProgram('baresip') && requireProgram('kamailio') && requireProgram('sox');

describe.skipIf(!has)('acip registered at Kamailio', () => {
  let kam: Kamailio;
  let acip: LtAcip;
  let b: BaresipPeer;
  beforeAll(async () => {
    kam = await startKamailio({ users: { acip: 'acip-secret-1' } });
    acip = await startLtAcip({
      config: [
        'sip:',
        '  registration:',
        `    registrar: sip:127.0.0.1:${kam.port}`,
        '    aor: sip:acip@127.0.0.1',
        '    password: acip-secret-1',
        '    expires: 60',
        '',
      ].join('\n'),
    });
    b = await startBaresip({ codecs: [BARESIP_CODECS.opus] });
  }, 40_000);
  afterAll(async () => {
    await b?.stop();
    await acip?.close();
    await kam?.stop();
  });

  it('shows registration "registered" and answers a call from baresip routed through Kamailio, with audio', async () => {
    const st = await waitFor(async () => {
      const s = (await acip.api('GET', '/api/status')).body;
      return s.registration?.state === 'registered' ? s : undefined;
    }, 8000);
    expect(st?.registration).toMatchObject({ state: 'registered', aor: 'sip:acip@127.0.0.1' });

    await b.command(`/dial sip:acip@127.0.0.1:${kam.port}`);
    const link = await waitFor(async () => ((await acip.api('GET', '/api/links')).body.links as any[]).find((l) => l.direction === 'inbound'), 8000);
    expect(link, `no inbound link; kamailio: ${kam.proc.output.slice(-1500)}`).toBeTruthy();
    const up = await waitForLinkState(acip, link.id, 'connected', 8000);
    expect(up.state).toBe('connected');
    expect(up.remote).toContain(`:${b.sipPort}`);
    await sleep(2500);
    const snap = (await acip.api('GET', `/api/links/${link.id}`)).body;
    expect(snap.rx.packets).toBeGreaterThan(50);
    await acip.api('DELETE', `/api/links/${link.id}`);
    await waitForLinkState(acip, link.id, 'ended', 8000);
    await waitFor(() => /terminated/.test(b.proc.output), 3000);
    const atB = measureTone(readWavFile((await closedDecDumps(b.sndDir))[0]!), 1000, 1.0, 1.0);
    expect(Math.abs(atB.frequencyHz[0]! - 1000)).toBeLessThanOrEqual(5);
    expect(Math.abs(atB.peakEquivDbfs[0]! + 18)).toBeLessThanOrEqual(1);
    const atA = measureTone(readWavFile(join(acip.recDir, `acip-${link.id}.wav`)), SOURCE_TONE.hz, 1.0, 1.0);
    expect(Math.abs(atA.peakEquivDbfs[0]! - SOURCE_TONE.peakDbfs)).toBeLessThanOrEqual(1.5);
  }, 40_000);
});
