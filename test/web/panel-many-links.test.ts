/**
 * The panel with 120 links in chromium, over the service's real HTTP layer and live feed with the
 * memory link manager holding a realistic shift (test/api/realistic-state.ts) plus 116 more links
 * built from its connected one: the board goes compact by itself, the filter narrows it, a row opens
 * the full card (click or Enter) and Escape closes it, the layout choice survives a reload, and the
 * feed's deltas (feed 2) reach the rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { LinkSnapshot } from '../../server/links/link-types.js';
import { artifactPath, ensurePanelBuilt, hasChromium, launchChromium, openPanelPage } from '../helpers/browser.js';
import { makeApp, type TestApp } from '../api/memory-links.js';
import { seedRealisticState } from '../api/realistic-state.js';

const has = hasChromium();
const LINKS = 120;

/** 116 links from the realistic connected one: studio-001 … studio-116, every tenth losing packets, a few ringing or failed. */
function moreLinks(t: TestApp, connectedId: string): void {
  const base = t.links.get(connectedId)!;
  for (let i = 1; i <= LINKS - 4; i++) {
    const n = String(i).padStart(3, '0');
    const l: LinkSnapshot = { ...base, id: `m${n}`, remote: `sip:studio-${n}@192.0.2.${i}`, permanent: false, rx: { ...base.rx!, lossPct: i % 10 === 0 ? 2.5 : 0.01 } };
    delete l.remoteName;
    delete l.phonebookId;
    if (i % 25 === 0) Object.assign(l, { state: 'ringing', rx: null, tx: null, codec: null, meters: null });
    if (i % 40 === 0) Object.assign(l, { state: 'failed', rx: null, tx: null, meters: null, endReason: { by: 'network', sipStatus: 408, reason: 'Request Timeout' } });
    t.links.put(l);
  }
}

describe.skipIf(!has)('panel with 120 links in chromium', () => {
  let t: TestApp;
  let url: string;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    await ensurePanelBuilt();
    t = await makeApp();
    const ids = seedRealisticState(t);
    moreLinks(t, ids.connected);
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    ({ page, errors } = await openPanelPage(browser));
    await page.goto(url);
    await page.getByRole('banner').getByText('Live', { exact: true }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.app.close();
  });

  const rows = () => page.locator('tr.link-row');

  it('shows every link as one compact row, not as cards', async () => {
    await expect.poll(() => rows().count()).toBe(LINKS);
    await expect(page.locator('section.board').getAttribute('data-board-mode')).resolves.toBe('compact');
    await expect(page.locator('article.card').count()).resolves.toBe(0);
    await page.getByRole('status').getByText(`${LINKS} links`, { exact: true }).waitFor();
    await page.screenshot({ path: artifactPath('panel-board-compact-120.png') });
  });

  it('narrows the board by typed text, by state and to problems only', async () => {
    const search = page.getByLabel('Filter links by remote, name or id');
    await search.fill('studio-01');
    await expect.poll(() => rows().count()).toBe(10);
    await page.getByText(`10 of ${LINKS} links`).waitFor();
    await search.fill('');
    await page.getByLabel('State', { exact: true }).selectOption('failed');
    // Three failed copies (40, 80) plus the realistic redialling link.
    await expect.poll(() => rows().count()).toBe(3);
    await page.getByLabel('State', { exact: true }).selectOption('all');
    await page.getByLabel('Problems only').check();
    const problems = await rows().evaluateAll((trs) => trs.map((tr) => (tr as unknown as { dataset: { linkId: string } }).dataset.linkId));
    // Every tenth copy loses packets (minus those that are ringing or failed), the failed ones, the redialling one, and the alarmed one.
    expect(problems).toContain('m010');
    expect(problems).toContain('m040');
    expect(problems).toContain('lf');
    expect(problems).toContain('lc');
    expect(problems).not.toContain('m001');
    await page.getByLabel('Problems only').uncheck();
    await expect.poll(() => rows().count()).toBe(LINKS);
  });

  it('opens a link’s full card from its row by click and by Enter, and Escape closes it back to the row', async () => {
    const row = page.locator('tr.link-row[data-link-id="m007"]');
    await row.click();
    const dialog = page.getByRole('dialog', { name: 'Link sip:studio-007@192.0.2.7' });
    await dialog.waitFor();
    await dialog.locator('article.card[data-link-id="m007"]').waitFor();
    await dialog.getByText('Graphs (last 10 minutes)').waitFor();
    await dialog.getByRole('button', { name: 'Hang up', exact: true }).waitFor();
    await page.screenshot({ path: artifactPath('panel-board-compact-card.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => row.evaluate((el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement)).toBe(true);

    await page.keyboard.press('ArrowDown'); // not a key that opens anything
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);
    await row.press('Enter');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Close the full card' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('brings a changed figure to its row through the feed’s delta', async () => {
    const l = t.links.get('m003')!;
    t.links.links.set('m003', { ...l, rx: { ...l.rx!, lossPct: 7.25 } });
    t.clock.advance(1000);
    await page.locator('tr.link-row[data-link-id="m003"]').getByText('7.25 %').waitFor();
  });

  it('remembers the operator’s layout across a reload', async () => {
    await page.getByLabel('Cards', { exact: true }).check();
    await expect.poll(() => page.locator('article.card').count()).toBe(LINKS);
    await page.reload();
    await page.getByRole('banner').getByText('Live', { exact: true }).waitFor();
    await expect.poll(() => page.locator('section.board').getAttribute('data-board-mode')).toBe('cards');
    await page.getByLabel('Auto', { exact: true }).check();
    await expect.poll(() => rows().count()).toBe(LINKS);
    expect(errors).toEqual([]);
  });
});
