/**
 * acip as a presence notifier (RFC 6665, RFC 3856) in the real service, watched by real peers:
 * sipp (`subscribe-presence.xml`: 489 for another package, 200 + NOTIFY with a PIDF, a refresh in
 * the dialog, an unsubscribe with a terminated NOTIFY) and baresip's `presence` module, which
 * subscribes to a `;presence=p2p` contact and sees acip's NOTIFY; and acip watching another acip
 * through a phonebook entry with `watchPresence`, shown as `presence` on the entry.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { launchBaresip, writeBaresipFiles } from '../../helpers/baresip.js';
import { freePort, type PeerProcess } from '../../helpers/sip-peer-process.js';
import { sippSuite } from '../../helpers/sipp-scenario.js';
import { startLtAcip, waitFor } from '../links/harness.js';

const HAVE_SIPP = requireProgram('sipp');
const HAVE_BARESIP = requireProgram('baresip');

describe('presence of the service with real watchers', () => {
  const suite = sippSuite();

  it.runIf(HAVE_SIPP)('serves sipp a subscription: 489 for another package, NOTIFY with PIDF, refresh and unsubscribe', async () => {
    const r = await suite.run({ scenario: 'subscribe-presence.xml', role: 'uac', timeoutS: 15, timeoutError: true });
    expect(r.code, r.trace()).toBe(0);
  }, 60_000);

  it('shows the presence of a watched phonebook entry: another acip, online', async () => {
    const other = await startLtAcip();
    try {
      const created = await suite.acip.api('POST', '/api/phonebook', { name: 'Studio B', uri: `sip:acip@127.0.0.1:${other.sipPort}`, watchPresence: true, probe: false });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      // The phonebook is brought in step within seconds; the first NOTIFY follows the SUBSCRIBE at once.
      const entry = await waitFor(async () => {
        const list = (await suite.acip.api('GET', '/api/phonebook')).body.entries as { id: string; presence?: string }[];
        return list.find((e) => e.id === created.body.id && e.presence === 'open');
      }, 15_000);
      expect(entry, JSON.stringify((await suite.acip.api('GET', '/api/phonebook')).body)).toBeTruthy();
      await suite.acip.api('DELETE', `/api/phonebook/${created.body.id}`);
    } finally {
      await other.close();
    }
  }, 90_000);

  it.runIf(HAVE_BARESIP)("tells baresip's presence module that acip is online", async () => {
    const sipPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'acip-presence-baresip-'));
    let proc: PeerProcess | undefined;
    try {
      writeBaresipFiles(
        dir,
        { sipPort, audioSource: 'ausine,440', modules: ['g711', 'ausine', 'aubridge', 'account', 'contact', 'presence'], appModules: ['menu'] },
        `"watcher" <sip:watcher@127.0.0.1:${sipPort}>;regint=0`,
      );
      writeFileSync(join(dir, 'contacts'), `"acip" <sip:acip@127.0.0.1:${suite.acip.sipPort}>;presence=p2p\n`);
      proc = await launchBaresip(dir, { args: ['-s'], ready: /baresip is ready/i });
      // baresip's SIP trace shows acip's NOTIFY with an open PIDF in answer to its SUBSCRIBE.
      const seen = await proc.waitForOutput(/NOTIFY sip:watcher[^@\s]*@[\s\S]*Subscription-State: active[\s\S]*<basic>open<\/basic>/, 15_000);
      expect(seen, proc.output.slice(-3000)).toBe(true);
    } finally {
      await proc?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 45_000);
});
