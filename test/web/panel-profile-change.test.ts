/**
 * Mid-call codec change from the panel, end to end between two real acip instances on loopback.
 * The admin dials B from A's panel with Opus, picks g722-voice under "Change profile" and presses
 * Apply: A re-INVITEs (POST /api/links/:id/profile), the card's codec becomes G722, B switches on the
 * same call, and A's output meter shows B's −18 dBFS line-up tone decoded from G.722. A viewer
 * watching the same connected link gets neither the control nor the API call (403).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { startAcip, type AcipProcess } from '../helpers/acip-process.js';
import { artifactPath, ensurePanelBuilt, hasChromium, launchChromium, openPanelPage } from '../helpers/browser.js';

const has = hasChromium();
const ADMIN = 'admin-pass-4321';
const VIEWER = 'viewer-pass-8765';
const LOOPBACK = ['--sip-host', '127.0.0.1', '--rtp-host', '127.0.0.1', '--input', 'tone:1000:-18'];

/** B's SIP port, from its log line `listening: SIP over UDP on 127.0.0.1:PORT` (bounded wait). */
async function sipPortOf(p: AcipProcess, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const l of p.logs) {
      const m = /listening: SIP over UDP on 127\.0\.0\.1:(\d+)/.exec(String(l.msg ?? ''));
      if (m) return Number(m[1]);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no "listening: SIP over UDP" line in the log');
}

async function logIn(page: Page, url: string, password: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('banner').getByText('Live', { exact: true }).waitFor();
}

/** Highest channel peak (dBFS) the meter last drew, or −Infinity. */
async function meterPeak(meter: Locator): Promise<number> {
  const values = ((await meter.getAttribute('data-levels')) ?? '')
    .split(',')
    .filter((v) => v && v !== '-inf')
    .map(Number);
  return values.length ? Math.max(...values) : -Infinity;
}

describe.skipIf(!has)('mid-call codec change from the panel between two acip instances', () => {
  let a: AcipProcess;
  let b: AcipProcess;
  let bSipPort: number;
  let browser: Browser;

  beforeAll(async () => {
    await ensurePanelBuilt();
    [a, b] = await Promise.all([startAcip([...LOOPBACK, '--http-password', ADMIN, '--http-viewer-password', VIEWER]), startAcip(LOOPBACK)]);
    bSipPort = await sipPortOf(b);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('dials B from the panel, applies g722-voice from the card, and shows G722 with the far tone still on the meter', async () => {
    const { context, page, errors } = await openPanelPage(browser);
    try {
      await logIn(page, a.httpUrl, ADMIN);
      await page.getByLabel('SIP URI', { exact: true }).fill(`sip:acip@127.0.0.1:${bSipPort}`);
      await page.getByLabel('Profile', { exact: true }).selectOption('opus-music-128k');
      await page.getByRole('button', { name: 'Dial', exact: true }).click();

      const card = page.getByRole('article', { name: /^Link / });
      await card.getByRole('status').getByText('Connected').waitFor({ timeout: 15_000 });
      const linkId = (await card.getAttribute('data-link-id'))!;
      const profileFact = card.locator('.facts dd').nth(1);
      const codecFact = card.locator('.facts dd').nth(2);
      await expect.poll(() => codecFact.innerText(), { timeout: 5000 }).toMatch(/^opus · 48 kHz/);
      await expect(profileFact.innerText()).resolves.toBe('opus-music-128k');

      const select = card.getByLabel('Change profile', { exact: true });
      const apply = card.getByRole('button', { name: 'Apply', exact: true });
      await expect(select.inputValue()).resolves.toBe('opus-music-128k');
      await select.selectOption('g722-voice');
      await apply.click();
      await expect.poll(() => codecFact.innerText(), { timeout: 10_000 }).toMatch(/^G722 · /);
      await expect(profileFact.innerText()).resolves.toBe('g722-voice');
      await expect(card.getAttribute('data-state')).resolves.toBe('connected');
      await expect(select.inputValue()).resolves.toBe('g722-voice');

      // B switched on the same call.
      const bLinks = (await (await fetch(`${b.httpUrl}/api/links`)).json()) as { links: { state: string; codec: { name: string } | null }[] };
      expect(bLinks.links).toHaveLength(1);
      expect(bLinks.links[0]).toMatchObject({ state: 'connected', codec: { name: 'G722' } });

      // Real audio after the change: B's −18 dBFS tone, now carried by G.722, on A's output meter.
      // Readings are taken only after the card shows G722; the last several must all sit at line-up level.
      const output = card.locator('acip-meter').nth(1);
      const readings: number[] = [];
      await expect
        .poll(
          async () => {
            readings.push(await meterPeak(output));
            const last = readings.slice(-6);
            return readings.length >= 10 && last.every((p) => p > -20.5 && p < -15.5);
          },
          { timeout: 10_000, interval: 150 },
        )
        .toBe(true);
      await page.screenshot({ path: artifactPath('panel-profile-changed.png') });

      // A viewer watching the same connected link: no control, and the API refuses the change.
      const viewer = await openPanelPage(browser);
      try {
        await logIn(viewer.page, a.httpUrl, VIEWER);
        const vCard = viewer.page.getByRole('article', { name: /^Link / });
        await vCard.getByRole('status').getByText('Connected').waitFor();
        await expect.poll(() => vCard.locator('.facts dd').nth(2).innerText()).toMatch(/^G722 · /);
        await expect(vCard.getByLabel('Change profile').count()).resolves.toBe(0);
        await expect(vCard.getByRole('button', { name: 'Apply' }).count()).resolves.toBe(0);
        await expect(vCard.getByRole('button', { name: /hang up/i }).count()).resolves.toBe(0);
        const refused = await viewer.page.request.post(`${a.httpUrl}/api/links/${linkId}/profile`, {
          headers: { 'X-Acip-CSRF': '1' },
          data: { profile: 'opus-music-128k' },
        });
        expect(refused.status()).toBe(403);
      } finally {
        await viewer.context.close();
      }

      // Two presses hang up; the profile control goes with the connection.
      await card.getByRole('button', { name: 'Hang up', exact: true }).click();
      await card.getByRole('button', { name: 'Confirm hang up', exact: true }).click();
      await expect.poll(async () => ((await card.count()) === 0 ? 'gone' : await card.getAttribute('data-state')), { timeout: 10_000 }).toMatch(/^(ended|gone)$/);
      await expect(select.count()).resolves.toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
