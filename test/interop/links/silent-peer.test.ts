/**
 * A caller that answers its part of the handshake and then goes silent (sipp: INVITE with SDP, ACK,
 * then neither RTP, RTCP nor BYE) must not hold a link forever. The real service runs with
 * rtp.inactivityTimeoutS 3: it hangs up with BYE inside the scenario's 20 s wait, and the link and
 * its history record say why (network, "no media for 3 s").
 */
import { describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/require-program.js';
import { sippSuite } from '../../helpers/sipp-scenario.js';
import { waitFor } from './harness.js';

const hasSipp = requireProgram('sipp');

describe.skipIf(!hasSipp)('a caller that goes silent after the ACK (sipp)', () => {
  const suite = sippSuite({ acip: { config: 'rtp:\n  inactivityTimeoutS: 3\n' } });

  it('is hung up with BYE after rtp.inactivityTimeoutS and ended as "no media for 3 s"', async () => {
    const { acip } = suite;
    const r = await suite.run({ scenario: 'silent-uac-no-media.xml', role: 'uac', media: true, timeoutS: 40, traceStats: true });
    const stats = r.stats();
    expect(r.timedOut).toBe(false);
    // The scenario only succeeds when acip's BYE arrived within its 20 s wait.
    expect(stats.get('SuccessfulCall(C)')).toBe('1');
    expect(stats.get('FailedCall(C)')).toBe('0');
    expect(r.code).toBe(0);

    const link = await waitFor(async () => ((await acip.api('GET', '/api/links')).body.links as any[]).find((l) => l.direction === 'inbound'), 5000);
    expect(link).toMatchObject({ state: 'ended', endReason: { by: 'network', reason: 'no media for 3 s' } });
    expect(link.rx?.packets ?? 0).toBe(0);

    const calls = (await acip.api('GET', '/api/history')).body.calls as any[];
    const record = calls.find((c) => c.linkId === link.id);
    expect(record).toMatchObject({ direction: 'inbound', answered: true, endReason: { by: 'network', reason: 'no media for 3 s' } });
    // It cannot have been hung up before the timeout ran out.
    expect(record.durationS).toBeGreaterThanOrEqual(3);

    const alarms = (await acip.api('GET', '/api/alarms')).body.alarms as any[];
    expect(alarms.find((a) => a.linkId === link.id)).toMatchObject({ kind: 'link-down' });
  }, 60_000);
});
