/**
 * Text messages (SIP MESSAGE, RFC 3428) between the real service and real peers: sipp sends one
 * acip takes (200) and one it cannot read (415 with Accept); baresip (Debian 1.0, `contact` module,
 * `/message` to its current contact) sends one to acip; acip sends one to baresip through
 * POST /api/messages, which answers delivered once baresip's 200 is in, and baresip's SIP trace
 * shows it (baresip 1.0 prints no received message itself).
 * GET /api/messages then lists them all, newest first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { baresipConsole, launchBaresip, writeBaresipFiles } from '../../helpers/baresip.js';
import { freePort, type PeerProcess } from '../../helpers/sip-peer-process.js';
import { sippSuite } from '../../helpers/sipp-scenario.js';
import { waitFor, waitForLinkState } from '../links/harness.js';

const HAVE_SIPP = requireProgram('sipp');
const HAVE_BARESIP = requireProgram('baresip');

type Row = { id: string; direction: 'in' | 'out'; remote: string; text: string; status: string; statusCode?: number };

describe.runIf(HAVE_SIPP || HAVE_BARESIP)('text messages with real peers', () => {
  const suite = sippSuite();

  const messages = async (): Promise<Row[]> => (await suite.acip.api('GET', '/api/messages')).body.messages as Row[];

  it.runIf(HAVE_SIPP)('takes a text MESSAGE from sipp with 200 and refuses another body type with 415 naming text/plain', async () => {
    const r = await suite.run({ scenario: 'message.xml', role: 'uac', timeoutS: 15, timeoutError: true });
    expect(r.code, r.trace()).toBe(0);
    // sipp ends its body with CRLF, which is part of the text.
    const got = await waitFor(async () => (await messages()).find((m) => m.text.trim() === 'Stand by: on air in 30 s'), 5000);
    expect(got).toMatchObject({ direction: 'in', status: 'delivered', remote: `sip:sipp@127.0.0.1:${r.port}` });
    expect((await messages()).some((m) => m.text.trim() === '0123456789')).toBe(false);
  }, 60_000);

  describe.runIf(HAVE_BARESIP)('with baresip', () => {
    let dir: string;
    let proc: PeerProcess;
    let cons: ReturnType<typeof baresipConsole>;
    let sipPort: number;
    beforeAll(async () => {
      sipPort = await freePort();
      const consPort = await freePort();
      dir = mkdtempSync(join(tmpdir(), 'acip-msg-baresip-'));
      writeBaresipFiles(
        dir,
        { sipPort, consPort, audioSource: 'ausine,440', modules: ['g711', 'ausine', 'aubridge', 'account', 'contact', 'cons'], appModules: ['menu'] },
        `"msg studio" <sip:studio@127.0.0.1:${sipPort}>;regint=0;answermode=auto;audio_codecs=PCMA/8000/1`,
      );
      writeFileSync(join(dir, 'contacts'), `"acip" <sip:acip@127.0.0.1:${suite.acip.sipPort}>\n`);
      proc = await launchBaresip(dir, { args: ['-s'], ready: /baresip is ready/i });
      cons = baresipConsole(consPort);
    }, 30_000);
    afterAll(async () => {
      cons?.close();
      await proc?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('takes a MESSAGE baresip sends to its current contact', async () => {
      await cons.command('/contact_next');
      await cons.command('/message Studio 2 ready, over');
      const got = await waitFor(async () => (await messages()).find((m) => m.text === 'Studio 2 ready, over'), 8000);
      expect(got, proc.output.slice(-1500)).toMatchObject({ direction: 'in', status: 'delivered', remote: `sip:studio@127.0.0.1:${sipPort}` });
    }, 30_000);

    it('sends a MESSAGE to baresip, answers delivered with its 200, and baresip shows the text', async () => {
      const res = await suite.acip.api('POST', '/api/messages', { to: `sip:studio@127.0.0.1:${sipPort}`, text: 'acip: on air in 10 s' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ direction: 'out', status: 'delivered', statusCode: 200 });
      // baresip 1.0 prints no received message on its own output; its SIP trace (-s) shows the request.
      expect(await proc.waitForOutput(/MESSAGE sip:studio@[\s\S]*acip: on air in 10 s/, 5000), proc.output.slice(-1500)).toBe(true);
    }, 30_000);

    it('sends in the dialog of a live link to baresip and links the message to it', async () => {
      const dial = await suite.acip.api('POST', '/api/links', { to: `sip:studio@127.0.0.1:${sipPort}` });
      expect(dial.status, JSON.stringify(dial.body)).toBe(201);
      const id = dial.body.id as string;
      try {
        await waitForLinkState(suite.acip, id, 'connected', 10_000);
        const res = await suite.acip.api('POST', '/api/messages', { to: `sip:studio@127.0.0.1:${sipPort}`, text: 'in the call: 5 s' });
        expect(res.body).toMatchObject({ direction: 'out', status: 'delivered', linkId: id });
        // In the dialog: baresip's trace shows the MESSAGE with the dialog's To tag.
        expect(await proc.waitForOutput(/MESSAGE sip:[^\n]*\n(?:[^\n]*\n)*?To: [^\n]*;tag=[\s\S]*in the call: 5 s/, 5000), proc.output.slice(-2000)).toBe(true);
      } finally {
        await suite.acip.api('DELETE', `/api/links/${id}`);
        await waitForLinkState(suite.acip, id, ['ended', 'failed'], 8000);
      }
    }, 40_000);

    it('lists what came in and went out, newest first', async () => {
      const rows = await messages();
      const texts = rows.map((m) => m.text);
      const sentAt = texts.indexOf('acip: on air in 10 s');
      const gotAt = texts.indexOf('Studio 2 ready, over');
      expect(sentAt).toBeGreaterThanOrEqual(0);
      expect(gotAt).toBeGreaterThan(sentAt);
      expect(rows.map((m) => m.direction).slice(sentAt, gotAt + 1)).toEqual(['out', 'in']);
    });
  });
});
