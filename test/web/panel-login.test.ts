/**
 * Login and the read-only viewer role, in chromium against the real service started
 * with an admin and a viewer password. The session is an HttpOnly cookie; state-changing requests
 * carry the CSRF header; a viewer sees no dial or hang-up controls and the API refuses them (403).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startAcip, type AcipProcess } from '../helpers/acip-process.js';
import { ensurePanelBuilt, hasChromium, launchChromium, openPanelPage } from '../helpers/browser.js';
import { UdpRawPeer } from '../helpers/sip-raw-peer.js';

const has = hasChromium();
const ADMIN = 'admin-pass-1234';
const VIEWER = 'viewer-pass-5678';

describe.skipIf(!has)('panel login and viewer role in chromium', () => {
  let acip: AcipProcess;
  let browser: Browser;
  let silentPeer: UdpRawPeer;

  beforeAll(async () => {
    await ensurePanelBuilt();
    acip = await startAcip(['--http-password', ADMIN, '--http-viewer-password', VIEWER]);
    browser = await launchChromium();
    // A SIP "studio" that never answers: a call to it stays in progress long enough to look at.
    silentPeer = await UdpRawPeer.open();
  });

  afterAll(async () => {
    await browser?.close();
    await acip?.stop();
    silentPeer?.close();
  });

  it('asks for the password, refuses a wrong one, and lets the admin in with full controls', async () => {
    const { context, page } = await openPanelPage(browser);
    try {
      await page.goto(acip.httpUrl);
      await page.getByRole('heading', { name: 'Log in to acip' }).waitFor();
      await expect(page.getByRole('button', { name: 'Dial', exact: true }).count()).resolves.toBe(0);
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').getByText('Wrong password.').waitFor();
      await page.getByLabel('Password').fill(ADMIN);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('button', { name: 'Dial', exact: true }).waitFor();
      await page.getByText('Admin', { exact: true }).waitFor();
      // The session is a cookie scripts cannot read.
      const cookies = await context.cookies();
      const session = cookies.find((c) => c.name === 'acip_session');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      await expect(page.evaluate<string>('document.cookie')).resolves.not.toContain('acip_session');
      // A reload keeps the session, and the live feed connects with it.
      await page.reload();
      await page.getByRole('button', { name: 'Dial', exact: true }).waitFor();
      await page.getByRole('banner').getByText('Live', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByRole('heading', { name: 'Log in to acip' }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('refuses state changes without the CSRF header even with a valid session', async () => {
    const { context, page } = await openPanelPage(browser);
    try {
      await page.goto(acip.httpUrl);
      await page.getByLabel('Password').fill(ADMIN);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('button', { name: 'Dial', exact: true }).waitFor();
      const noHeader = await page.request.post(`${acip.httpUrl}/api/phonebook`, { data: { name: 'x', uri: 'sip:x@127.0.0.1' } });
      expect(noHeader.status()).toBe(403);
      await expect(noHeader.json()).resolves.toMatchObject({ code: 'FORBIDDEN' });
    } finally {
      await context.close();
    }
  });

  it('gives the viewer a board without dial, answer or hang-up controls, and the API refuses them', async () => {
    // The admin starts a call (HTTP Basic, as a script would) so that the viewer has a card to look at.
    const basic = `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}`;
    const dial = await fetch(`${acip.httpUrl}/api/links`, {
      method: 'POST',
      headers: { Authorization: basic, 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: `sip:silent@127.0.0.1:${silentPeer.port}`, profile: 'g711-telephone' }),
    });
    expect(dial.status).toBe(201);
    const link = (await dial.json()) as { id: string };

    const { context, page } = await openPanelPage(browser);
    try {
      await page.goto(acip.httpUrl);
      await page.getByLabel('Password').fill(VIEWER);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText('Viewer (watch only)').waitFor();
      const card = page.getByRole('article', { name: `Link sip:silent@127.0.0.1:${silentPeer.port}` });
      await card.waitFor();
      await expect(page.getByRole('button', { name: 'Dial', exact: true }).count()).resolves.toBe(0);
      await expect(page.getByLabel('SIP URI', { exact: true }).count()).resolves.toBe(0);
      await expect(page.getByRole('button', { name: 'Hang up' }).count()).resolves.toBe(0);

      const headers = { 'X-Acip-CSRF': '1' };
      const post = await page.request.post(`${acip.httpUrl}/api/links`, { headers, data: { to: 'sip:x@127.0.0.1' } });
      expect(post.status()).toBe(403);
      await expect(post.json()).resolves.toMatchObject({ code: 'FORBIDDEN' });
      const del = await page.request.delete(`${acip.httpUrl}/api/links/${link.id}`, { headers });
      expect(del.status()).toBe(403);
      // Reading is allowed.
      const list = await page.request.get(`${acip.httpUrl}/api/links`);
      expect(list.status()).toBe(200);
    } finally {
      await context.close();
      await fetch(`${acip.httpUrl}/api/links/${link.id}`, { method: 'DELETE', headers: { Authorization: basic } });
    }
  });
});
