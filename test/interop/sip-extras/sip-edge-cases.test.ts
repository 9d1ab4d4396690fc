/**
 * Edge cases of RFC 3262 and RFC 6665 against the real service, played by sipp:
 *   - `prack-uas-out-of-order.xml`: acip as UAC PRACKs a reliable 183 (RSeq 5), then must not PRACK
 *     a reliable 180 with an older RSeq (4, out of order) nor the 183 repeated with RSeq 5 (already
 *     acknowledged): RFC 3262 §4 lets a UAC PRACK only RSeq = last + 1. The call still connects.
 *   - `subscribe-expiry.xml`: a presence SUBSCRIBE below the minimum interval gets 423 with
 *     Min-Expires 60 (RFC 6665 §4.2.1.1); the retry at 60 s is accepted, and when the watcher lets it
 *     lapse acip sends NOTIFY `terminated;reason=timeout` (§4.2.2). sipp runs in real time, so this
 *     one waits the full minute.
 */
import { describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/require-program.js';
import { sippSuite } from '../../helpers/sipp-scenario.js';
import { waitForLinkState } from '../links/harness.js';

const HAVE_SIPP = requireProgram('sipp');

describe.runIf(HAVE_SIPP)('RFC 3262 and RFC 6665 edge cases with sipp', () => {
  const suite = sippSuite();

  it('PRACKs only the in-order reliable provisional and neither an out-of-order nor a repeated RSeq', async () => {
    const { acip } = suite;
    const { sipp, id } = await suite.dial({ scenario: 'prack-uas-out-of-order.xml', timeoutS: 30 });
    await waitForLinkState(acip, id, 'connected', 10_000);
    await acip.api('DELETE', `/api/links/${id}`);
    expect(await sipp.exit(15_000), sipp.trace()).toBe(0);
  }, 60_000);

  it('refuses a too short subscription with 423 and Min-Expires, and ends the accepted one at expiry with reason=timeout', async () => {
    const r = await suite.run({ scenario: 'subscribe-expiry.xml', role: 'uac', timeoutS: 100 });
    expect(r.code, r.trace()).toBe(0);
  }, 130_000);
});
