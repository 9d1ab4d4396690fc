/**
 * Reliable provisional responses (RFC 3262) between the real service and sipp: as UAS, acip rings
 * reliably for a caller that requires 100rel (`prack-uac.xml`: PRACK → 200, the 200 to the INVITE,
 * a stale PRACK → 481), answered from the API under the manual answer policy; as UAC, acip PRACKs
 * sipp's reliable 180 in the early dialog (`prack-uas.xml`) and the call connects.
 *
 * baresip 1.0 (libre of Debian 12) knows no 100rel, so it cannot play either side here.
 */
import { describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/require-program.js';
import { sippSuite } from '../../helpers/sipp-scenario.js';
import { waitFor, waitForLinkState } from '../links/harness.js';

const HAVE_SIPP = requireProgram('sipp');

type LinkRow = { id: string; remote: string; direction: string; state: string };

describe.runIf(HAVE_SIPP)('PRACK with sipp', () => {
  const suite = sippSuite({ acip: { config: 'links:\n  answerPolicy: manual\n' } });

  it('rings reliably for a caller requiring 100rel, takes its PRACK, answers, and refuses a stale PRACK with 481', async () => {
    const { acip } = suite;
    const sipp = await suite.start({ scenario: 'prack-uac.xml', role: 'uac', timeoutS: 30, timeoutError: true });
    const link = await waitFor(async () => ((await acip.api('GET', '/api/links')).body.links as LinkRow[]).find((l) => l.remote.includes(`:${sipp.port}`) && l.state === 'offered'), 10_000);
    expect(link, sipp.output.slice(-1500)).toBeTruthy();
    expect((await acip.api('POST', `/api/links/${link!.id}/answer`)).status).toBe(200);
    expect(await sipp.exit(25_000), sipp.trace()).toBe(0);
  }, 60_000);

  it('PRACKs the reliable 180 of sipp as UAS in the early dialog and connects', async () => {
    const { acip } = suite;
    const { sipp, id } = await suite.dial({ scenario: 'prack-uas.xml', timeoutS: 30 });
    await waitForLinkState(acip, id, 'connected', 10_000);
    await acip.api('DELETE', `/api/links/${id}`);
    expect(await sipp.exit(15_000), sipp.trace()).toBe(0);
  }, 60_000);
});
