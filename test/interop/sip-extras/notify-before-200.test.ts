/**
 * acip as a presence subscriber (RFC 6665 §4.1.2.4) in the real service, against sipp as the
 * watched studio: `notify-before-200-uas.xml` answers acip's SUBSCRIBE with a NOTIFY (open PIDF)
 * first and the 200 only after acip has answered that NOTIFY. acip must take the NOTIFY as the
 * start of the dialog, answer it 200 and show the phonebook entry as `open`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { PeerProcess, freePort } from '../../helpers/sip-peer-process.js';
import { ROOT_DIR } from '../../../server/version.js';
import { startLtAcip, waitFor, type LtAcip } from '../links/harness.js';

const HAVE_SIPP = requireProgram('sipp');

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

describe.runIf(HAVE_SIPP)('a NOTIFY that overtakes the 200 to acip\'s SUBSCRIBE', () => {
  let acip: LtAcip;
  beforeAll(async () => {
    acip = await startLtAcip();
  }, 120_000);
  afterAll(async () => {
    await acip?.close();
  });

  it('accepts the early NOTIFY, answers it 200 and shows the watched entry as open', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'acip-notify-early-'));
    const messages = join(dir, 'messages.log');
    const sipp = PeerProcess.start('sipp', [
      '-sf', join(ROOT_DIR, 'test/fixtures/sipp/notify-before-200-uas.xml'), '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-timeout', '30', '-trace_msg', '-message_file', messages,
    ], dir);
    /** sipp's output and the SIP messages it saw, for failure messages. */
    const trace = () => `${sipp.output.slice(-1500)}\n${existsSync(messages) ? readFileSync(messages, 'utf8').slice(-4000) : ''}`;
    let id: string | undefined;
    try {
      // No wait for sipp to bind: a SUBSCRIBE sent too early is retransmitted (RFC 3261 §17.1.2.2).
      const created = await acip.api('POST', '/api/phonebook', { name: 'Studio N', uri: `sip:studio@127.0.0.1:${port}`, watchPresence: true, probe: false });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      id = created.body.id as string;
      // The phonebook is brought in step within seconds; the NOTIFY follows the SUBSCRIBE at once.
      const entry = await waitFor(async () => {
        const list = (await acip.api('GET', '/api/phonebook')).body.entries as { id: string; presence?: string }[];
        return list.find((e) => e.id === id && e.presence === 'open');
      }, 15_000);
      expect(entry, `${JSON.stringify((await acip.api('GET', '/api/phonebook')).body)}\n${trace()}`).toBeTruthy();
      expect(await exitOf(sipp, 15_000), trace()).toBe(0);
    } finally {
      await sipp.stop();
      if (id) await acip.api('DELETE', `/api/phonebook/${id}`);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
