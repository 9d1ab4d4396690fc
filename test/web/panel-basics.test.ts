/**
 * The panel in a real browser (Debian's chromium via playwright-core) against the real service:
 * status bar, profile viewer, accessible names, keyboard use, tablet width. Needs only the routes
 * the service has had from the start (/api/health, /api/profiles) plus the panel build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startAcip, type AcipProcess } from '../helpers/acip-process.js';
import { artifactPath, ensurePanelBuilt, hasChromium, launchChromium, openPanelPage } from '../helpers/browser.js';
import type { HealthBody, ProfileSummary } from '../../web/src/model/api-types.js';

const has = hasChromium();

/** Every input, select, textarea, button and link on the page that has no accessible name. */
const UNNAMED_CONTROLS = `(() => {
  const out = [];
  for (const el of document.querySelectorAll('input, select, textarea, button, a[href], [role=button]')) {
    if (el.closest('[hidden]') || el.getClientRects().length === 0) continue;
    const labelled = (el.labels && el.labels.length > 0 && [...el.labels].some((l) => l.textContent.trim()))
      || (el.getAttribute('aria-label') || '').trim()
      || (el.getAttribute('aria-labelledby') || '').split(' ').some((id) => document.getElementById(id)?.textContent.trim())
      || ((el.tagName === 'BUTTON' || el.tagName === 'A') && el.textContent.trim());
    if (!labelled) out.push(el.outerHTML.slice(0, 120));
  }
  return out;
})()`;

describe.skipIf(!has)('control panel basics in chromium', () => {
  let acip: AcipProcess;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let health: HealthBody;

  beforeAll(async () => {
    await ensurePanelBuilt();
    acip = await startAcip();
    browser = await launchChromium();
    ({ page, errors } = await openPanelPage(browser));
    health = (await (await fetch(`${acip.httpUrl}/api/health`)).json()) as HealthBody;
    await page.goto(acip.httpUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await acip?.stop();
  });

  it('serves the built panel at / and runs it without script errors', async () => {
    await expect(page.title()).resolves.toBe('acip control panel');
    await page.getByRole('heading', { name: 'Links', exact: true }).waitFor();
    expect(errors).toEqual([]);
  });

  it('shows the service version and HTTP listening address in the status bar', async () => {
    const bar = page.getByRole('banner');
    await bar.getByLabel('Version').getByText(`acip ${health.version}`).waitFor();
    await bar.getByLabel('Listening addresses').getByText(String(health.listening.http), { exact: false }).waitFor();
    await expect(bar.getByLabel('Links').innerText()).resolves.toMatch(/^Links: 0/);
    await expect(bar.getByLabel('Connection to the service').innerText()).resolves.not.toBe('');
  });

  it('lists every profile with its codecs in the order they are offered', async () => {
    const { profiles } = (await (await fetch(`${acip.httpUrl}/api/profiles`)).json()) as { profiles: ProfileSummary[] };
    expect(profiles.length).toBeGreaterThan(0);
    await page.getByRole('link', { name: 'Profiles' }).click();
    await page.getByRole('heading', { name: 'Profiles', exact: true }).waitFor();
    for (const p of profiles) {
      const card = page.getByRole('article', { name: `Profile ${p.name}` });
      await card.getByRole('heading', { name: new RegExp(p.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }).waitFor();
      const items = await card.getByRole('list', { name: 'Codecs offered, in order' }).getByRole('listitem').allInnerTexts();
      expect(items.map((t) => t.split(' · ')[0])).toEqual(p.codecs.map((c) => c.codec));
    }
    await page.screenshot({ path: artifactPath('panel-profiles.png') });
  });

  it('gives every control in every view an accessible name', async () => {
    for (const view of ['Links', 'Phonebook', 'History', 'Profiles', 'Alarms']) {
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: view }).click();
      await page.locator('#view-heading').waitFor();
      expect({ view, unnamed: await page.evaluate<string[]>(UNNAMED_CONTROLS) }).toEqual({ view, unnamed: [] });
    }
  });

  it('labels the dial field "SIP URI" and the button "Dial"', async () => {
    await page.getByRole('link', { name: 'Links' }).click();
    await page.getByLabel('SIP URI', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Dial', exact: true }).waitFor();
    await page.getByLabel('Profile', { exact: true }).waitFor();
    await page.getByLabel('Input', { exact: true }).waitFor();
    await page.getByLabel('Output', { exact: true }).waitFor();
    await page.getByLabel(/Permanent/).waitFor();
  });

  it('can be driven from the keyboard: Tab reaches the sections and Enter opens one', async () => {
    await page.getByRole('link', { name: 'Links' }).click();
    await page.locator('body').focus();
    let reached = false;
    for (let i = 0; i < 30 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate<boolean>(`document.activeElement?.textContent?.trim() === 'Profiles'`);
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Profiles', exact: true }).waitFor();
    // Focus moves to the view's heading, so the next Tab continues inside the new view.
    await expect.poll(() => page.evaluate<string>(`document.activeElement?.id ?? ''`)).toBe('view-heading');
  });

  it('fits a tablet screen without sideways scrolling', async () => {
    const tablet = await openPanelPage(browser, { viewport: { width: 768, height: 1024 } });
    try {
      await tablet.page.goto(acip.httpUrl);
      await tablet.page.getByRole('button', { name: 'Dial', exact: true }).waitFor();
      const overflow = await tablet.page.evaluate<number>(`document.documentElement.scrollWidth - window.innerWidth`);
      expect(overflow).toBeLessThanOrEqual(0);
      await tablet.page.screenshot({ path: artifactPath('panel-tablet.png') });
    } finally {
      await tablet.context.close();
    }
  });
});
