/**
 * Caller-supplied text is rendered as text, never as HTML: a display name carrying an
 * <img onerror> payload arrives in a real SIP INVITE and in a phonebook entry; the panel shows the
 * characters and runs nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startAcip, type AcipProcess } from '../helpers/acip-process.js';
import { artifactPath, ensurePanelBuilt, hasChromium, launchChromium, openPanelPage } from '../helpers/browser.js';
import { UdpRawPeer } from '../helpers/sip-raw-peer.js';
import { freePort } from '../helpers/sip-peer-process.js';

const has = hasChromium();
const PAYLOAD = '<img src=x onerror="window.__xss=1">';

/** An INVITE from a hostile caller, with a PCMA offer (RFC 3261 §8.1.1 headers, RFC 4566 body). */
function hostileInvite(toPort: number, fromPort: number): Buffer {
  const sdp = [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${fromPort + 2} RTP/AVP 8`,
    'a=rtpmap:8 PCMA/8000',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
  const head = [
    `INVITE sip:panel@127.0.0.1:${toPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${fromPort};branch=z9hG4bK-xss-${Date.now()}`,
    'Max-Forwards: 70',
    `From: "${PAYLOAD.replace(/"/g, '\\"')}" <sip:evil@127.0.0.1:${fromPort}>;tag=xss1`,
    `To: <sip:panel@127.0.0.1:${toPort}>`,
    `Call-ID: xss-${Date.now()}@127.0.0.1`,
    'CSeq: 1 INVITE',
    `Contact: <sip:evil@127.0.0.1:${fromPort}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    '',
  ].join('\r\n');
  return Buffer.from(head + sdp);
}

describe.skipIf(!has)('caller-supplied text on the panel', () => {
  let acip: AcipProcess;
  let browser: Browser;
  let page: Page;
  let sipPort: number;
  let caller: UdpRawPeer;

  beforeAll(async () => {
    await ensurePanelBuilt();
    sipPort = await freePort();
    acip = await startAcip(['--sip-port', String(sipPort)]);
    caller = await UdpRawPeer.open();
    browser = await launchChromium();
    ({ page } = await openPanelPage(browser));
    await page.goto(acip.httpUrl);
  });

  afterAll(async () => {
    await browser?.close();
    caller?.close();
    await acip?.stop();
  });

  it('shows a display name with an <img onerror> payload from a SIP INVITE as text', async () => {
    await page.getByRole('banner').getByText('Live', { exact: true }).waitFor();
    await caller.send(hostileInvite(sipPort, caller.port), sipPort);
    const card = page.locator('article.card').filter({ hasText: 'sip:evil@' }).or(page.getByRole('group', { name: /Incoming call from/ }));
    await card.first().waitFor({ timeout: 15_000 });
    await expect(page.getByText(PAYLOAD, { exact: false }).first().isVisible()).resolves.toBe(true);
    await expect(page.locator('main img, .prompts img').count()).resolves.toBe(0);
    await expect(page.evaluate('window.__xss')).resolves.toBeUndefined();
    await page.screenshot({ path: artifactPath('panel-xss-invite.png') });
  });

  it('shows a phonebook entry named with an <img onerror> payload as text', async () => {
    const create = await page.request.post(`${acip.httpUrl}/api/phonebook`, {
      headers: { 'X-Acip-CSRF': '1' },
      data: { name: PAYLOAD, uri: 'sip:studio@127.0.0.1', notes: '<script>window.__xss=2</script>' },
    });
    expect(create.status()).toBe(201);
    await page.getByRole('link', { name: 'Phonebook' }).click();
    const row = page.getByRole('row').filter({ hasText: PAYLOAD });
    await row.waitFor();
    await expect(row.getByRole('cell').nth(1).innerText()).resolves.toBe(PAYLOAD);
    await expect(row.innerText()).resolves.toContain('<script>window.__xss=2</script>');
    await expect(page.locator('main img, main script').count()).resolves.toBe(0);
    await expect(page.evaluate('window.__xss')).resolves.toBeUndefined();
    // The dial form's phonebook picker shows it as text too.
    await page.getByRole('link', { name: 'Links' }).click();
    await expect(page.getByLabel('Phonebook entry').innerText()).resolves.toContain(PAYLOAD);
  });
});
