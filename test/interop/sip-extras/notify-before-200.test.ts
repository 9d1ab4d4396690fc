/**
 * acip as a presence subscriber (RFC 6665 §4.1.2.4) in the real service, against sipp as the
 * watched studio: `notify-before-200-uas.xml` answers acip's SUBSCRIBE with a NOTIFY (open PIDF)
 * first and the 200 only after acip has answered that NOTIFY. acip must take the NOTIFY as the
 * start of the dialog, answer it 200 and show the phonebook entry as `open`.
 */
import { describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/require-program.js';
import { sippSuite } from '../../helpers/sipp-scenario.js';
import { waitFor } from '../links/harness.js';

const HAVE_SIPP = requireProgram('sipp');

describe.runIf(HAVE_SIPP)('a NOTIFY that overtakes the 200 to acip\'s SUBSCRIBE', () => {
  const suite = sippSuite();

  it('accepts the early NOTIFY, answers it 200 and shows the watched entry as open', async () => {
    const { acip } = suite;
    const sipp = await suite.start({ scenario: 'notify-before-200-uas.xml', role: 'uas', timeoutS: 30, traceMessages: true });
    let id: string | undefined;
    try {
      // No wait for sipp to bind: a SUBSCRIBE sent too early is retransmitted (RFC 3261 §17.1.2.2).
      const created = await acip.api('POST', '/api/phonebook', { name: 'Studio N', uri: `sip:studio@127.0.0.1:${sipp.port}`, watchPresence: true, probe: false });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      id = created.body.id as string;
      // The phonebook is brought in step within seconds; the NOTIFY follows the SUBSCRIBE at once.
      const entry = await waitFor(async () => {
        const list = (await acip.api('GET', '/api/phonebook')).body.entries as { id: string; presence?: string }[];
        return list.find((e) => e.id === id && e.presence === 'open');
      }, 15_000);
      expect(entry, `${JSON.stringify((await acip.api('GET', '/api/phonebook')).body)}\n${sipp.trace()}`).toBeTruthy();
      expect(await sipp.exit(15_000), sipp.trace()).toBe(0);
    } finally {
      await sipp.stop();
      if (id) await acip.api('DELETE', `/api/phonebook/${id}`);
    }
  }, 60_000);
});
