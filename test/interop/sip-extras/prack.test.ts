/**
 * Reliable provisional responses (RFC 3262) between the real service and sipp: as UAS, acip rings
 * reliably for a caller that requires 100rel (`prack-uac.xml`: PRACK → 200, the 200 to the INVITE,
 * a stale PRACK → 481), answered from the API under the manual answer policy; as UAC, acip PRACKs
 * sipp's reliable 180 in the early dialog (`prack-uas.xml`) and the call connects.
 *
 * baresip 1.0 (libre of Debian 12) knows no 100rel, so it cannot play either side here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { PeerProcess, freePort } from '../../helpers/sip-peer-process.js';
import { ROOT_DIR } from '../../../server/version.js';
import { startLtAcip, waitFor, waitForLinkState, type LtAcip } from '../links/harness.js';

const HAVE_SIPP = requireProgram('sipp');

type LinkRow = { id: string; remote: string; direction: string; state: string };

function exitOf(p: PeerProcess, ms: number): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null) return resolve(p.child.exitCode);
    const t = setTimeout(() => resolve(null), ms);
    p.child.on('close', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

describe.runIf(HAVE_SIPP)('PRACK with sipp', () => {
  let acip: LtAcip;
  beforeAll(async () => {
    acip = await startLtAcip({ config: 'links:\n  answerPolicy: manual\n' });
  }, 120_000);
  afterAll(async () => {
    await acip?.close();
  });

  it('rings reliably for a caller requiring 100rel, takes its PRACK, answers, and refuses a stale PRACK with 481', async () => {
    const port = await freePort();
    const sipp = PeerProcess.start('sipp', [
      '-sf', join(ROOT_DIR, 'test/fixtures/sipp/prack-uac.xml'), '-s', 'acip', '-i', '127.0.0.1', '-p', String(port), '-m', '1',
      '-timeout', '30', '-timeout_error', `127.0.0.1:${acip.sipPort}`,
    ]);
    try {
      const link = await waitFor(async () => ((await acip.api('GET', '/api/links')).body.links as LinkRow[]).find((l) => l.remote.includes(`:${port}`) && l.state === 'offered'), 10_000);
      expect(link, sipp.output.slice(-1500)).toBeTruthy();
      expect((await acip.api('POST', `/api/links/${link!.id}/answer`)).status).toBe(200);
      expect(await exitOf(sipp, 25_000), sipp.output.slice(-2500)).toBe(0);
    } finally {
      await sipp.stop();
    }
  }, 60_000);

  it('PRACKs the reliable 180 of sipp as UAS in the early dialog and connects', async () => {
    const port = await freePort();
    const sipp = PeerProcess.start('sipp', ['-sf', join(ROOT_DIR, 'test/fixtures/sipp/prack-uas.xml'), '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-timeout', '30']);
    try {
      await new Promise((r) => setTimeout(r, 500));
      const dial = await acip.api('POST', '/api/links', { to: `sip:sipp@127.0.0.1:${port}` });
      expect(dial.status, JSON.stringify(dial.body)).toBe(201);
      await waitForLinkState(acip, dial.body.id, 'connected', 10_000);
      await acip.api('DELETE', `/api/links/${dial.body.id}`);
      expect(await exitOf(sipp, 15_000), sipp.output.slice(-2500)).toBe(0);
    } finally {
      await sipp.stop();
    }
  }, 60_000);
});
