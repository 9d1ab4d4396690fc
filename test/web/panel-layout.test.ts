/**
 * The board at the sizes it must work at: a 1280×720 control-room window and a tablet both ways
 * (1024×768, 768×1024). With live links on the (scripted) service it checks what an engineer across
 * the room relies on: nothing scrolls sideways or sticks out of its card, the state word and the
 * figures are big, the meters are tall and wide, and at 1280×720 one link fits whole, graphs and
 * hang-up included. Screenshots of each size are kept as test artifacts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { artifactPath, ensurePanelBuilt, hasChromium, launchChromium, openPanelPage } from '../helpers/browser.js';
import { ScriptedLinks, startScriptedApp, type ScriptedApp } from './scripted-service.js';
import { rxStats, snapshot } from './snapshots.js';

const has = hasChromium();

const SIZES = [
  { width: 1280, height: 720 },
  { width: 1024, height: 768 },
  { width: 768, height: 1024 },
] as const;

interface CardLayout {
  name: string;
  card: { left: number; right: number; top: number; bottom: number };
  /** Descendants whose box reaches past the card's content edge: clipped or overflowing. */
  sticksOut: string[];
  statePx: number;
  stateWeight: number;
  durationPx: number;
  statsPx: number;
  meters: { width: number; height: number }[];
  hangupBottom: number | null;
}

/** Measured in the page (plain JS: the test tsconfig has no DOM types). */
const MEASURE = `(() => [...document.querySelectorAll('article.card')].map((card) => {
  const box = card.getBoundingClientRect();
  const cs = getComputedStyle(card);
  const innerLeft = box.left + parseFloat(cs.borderLeftWidth);
  const innerRight = box.right - parseFloat(cs.borderRightWidth);
  const sticksOut = [];
  for (const el of card.querySelectorAll('*')) {
    if (el.closest('pre, option, select')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const what = el.tagName.toLowerCase() + '.' + el.className;
    if (r.right > innerRight + 0.5 || r.left < innerLeft - 0.5) sticksOut.push(what + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    // Text wider than its own box (e.g. a nowrap figure in a narrow column) spills over its neighbours.
    else if (el.clientWidth > 0 && getComputedStyle(el).overflowX === 'visible' && el.scrollWidth > el.clientWidth + 1) sticksOut.push(what + ' text ' + el.scrollWidth + ' > ' + el.clientWidth);
  }
  const px = (sel) => { const el = card.querySelector(sel); return el ? parseFloat(getComputedStyle(el).fontSize) : 0; };
  const hangup = [...card.querySelectorAll('button')].find((b) => /hang up/i.test(b.textContent));
  return {
    name: card.getAttribute('aria-label'),
    card: { left: box.left, right: box.right, top: box.top, bottom: box.bottom },
    sticksOut,
    statePx: px('.state'),
    stateWeight: Number(getComputedStyle(card.querySelector('.state')).fontWeight),
    durationPx: px('.duration'),
    statsPx: px('.stats dd'),
    meters: [...card.querySelectorAll('acip-meter canvas')].map((c) => ({ width: c.getBoundingClientRect().width, height: c.getBoundingClientRect().height })),
    hangupBottom: hangup ? hangup.getBoundingClientRect().bottom : null,
  };
}))()`;

describe.skipIf(!has)('the board at control-room and tablet sizes in chromium', () => {
  const links = new ScriptedLinks();
  let server: ScriptedApp;
  let browser: Browser;

  beforeAll(async () => {
    await ensurePanelBuilt();
    // Stats four times a second, so the graphs hold a few points without a long wait.
    server = await startScriptedApp(links, 0, { statsIntervalMs: 250 });
    browser = await launchChromium();
    const now = Date.now();
    links.add(
      snapshot({
        id: 'main',
        state: 'connected',
        remote: 'sip:studio-manchester-ob-truck-2@contribution.example.net:5060',
        remoteName: 'Manchester OB truck 2 (bonded 4G, backup path)',
        profile: 'opus-music-128k',
        createdAt: new Date(now - 3_725_000).toISOString(),
        connectedAt: new Date(now - 3_725_000).toISOString(),
        durationS: 3725,
        codec: { name: 'opus', clockRate: 48000, channels: 2, ptimeMs: 20, payloadType: 111, params: { maxaveragebitrate: 128000 } },
        ebuacip: { applied: { mode: 'adaptive', minMs: 20, maxMs: 160, source: 'peer' }, theirs: ['a=ebuacip:jbdef 0 auto 20-160'], ours: [] },
        rx: rxStats({ jitterMs: 12.345, bufferMs: 142, lossPct: 12.5, concealedPct: 10.25, driftPpm: -123.4, packets: 180_000 }),
        rttMs: 1234.5,
      }),
    );
  });

  afterAll(async () => {
    await browser?.close();
    await server?.app.close();
  });

  async function openBoard(size: { width: number; height: number }): Promise<{ page: Page; close: () => Promise<void>; errors: string[] }> {
    const { context, page, errors } = await openPanelPage(browser, { viewport: size });
    await page.goto(server.url);
    await page.getByRole('banner').getByText('Live', { exact: true }).waitFor();
    await page.getByRole('article', { name: /^Link / }).first().waitFor();
    for (const summary of await page.getByText('Graphs (last 10 minutes)').all()) await summary.click();
    // Stats (and so graph points) come for connected links only. The graphs appear after the
    // <details> toggle event, so wait for all of them before waiting for their points.
    const connected = await page.locator('article.card[data-state=connected]').count();
    expect(connected).toBeGreaterThan(0);
    const graphs = page.locator('article.card[data-state=connected] acip-graphs');
    await expect.poll(() => graphs.count()).toBe(connected);
    for (const g of await graphs.all()) {
      await expect.poll(async () => Number(await g.getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    }
    return { page, errors, close: () => context.close() };
  }

  function checkReadable(layouts: CardLayout[], size: { width: number }): void {
    expect(layouts.length).toBeGreaterThan(0);
    for (const l of layouts) {
      expect({ name: l.name, sticksOut: l.sticksOut }).toEqual({ name: l.name, sticksOut: [] });
      expect(l.card.right).toBeLessThanOrEqual(size.width);
      // Readable from across the room: the state word at least 20 px and bold, the figures 20 px.
      expect(l.statePx).toBeGreaterThanOrEqual(20);
      expect(l.stateWeight).toBeGreaterThanOrEqual(700);
      expect(l.durationPx).toBeGreaterThanOrEqual(24);
      expect(l.statsPx).toBeGreaterThanOrEqual(20);
      expect(l.meters).toHaveLength(2);
      for (const m of l.meters) {
        expect(m.width).toBeGreaterThanOrEqual(250);
        expect(m.height).toBeGreaterThanOrEqual(40);
      }
    }
  }

  for (const size of SIZES) {
    it(`shows one live link at ${size.width}×${size.height} without clipping, in type big enough to read across the room`, async () => {
      const { page, close, errors } = await openBoard(size);
      try {
        await page.screenshot({ path: artifactPath(`panel-board-${size.width}x${size.height}.png`) });
        await expect(page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).resolves.toBeLessThanOrEqual(0);
        const layouts = await page.evaluate<CardLayout[]>(MEASURE);
        checkReadable(layouts, size);
        if (size.width === 1280) {
          // The control-room window shows the whole link at once: figures, meters, graphs and hang-up.
          expect(layouts[0]!.card.bottom).toBeLessThanOrEqual(size.height);
          expect(layouts[0]!.hangupBottom).not.toBeNull();
          expect(layouts[0]!.hangupBottom!).toBeLessThanOrEqual(size.height);
        }
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });
  }

  it('fits every view on a portrait tablet without sideways scrolling, long phonebook entries and alarms included', async () => {
    const entry = await fetch(`${server.url}/api/phonebook`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Acip-CSRF': '1' },
      body: JSON.stringify({
        name: 'Glasgow Pacific Quay studio 4 (network continuity, backup)',
        uri: 'sip:continuity-studio-4-backup@pacific-quay.contribution.example.org:5061',
        notes: 'Call the MCR on extension 4411 before dialling; ISDN fallback on the second line.',
      }),
    });
    expect(entry.status).toBe(201);
    links.alarmList.push({ id: 'al-long', kind: 'loss', linkId: 'main', message: 'Manchester OB truck 2 (bonded 4G, backup path): loss 12.5 % over 10 s', raisedAt: new Date().toISOString(), acknowledged: false });
    const { context, page, errors } = await openPanelPage(browser, { viewport: { width: 768, height: 1024 } });
    try {
      await page.goto(server.url);
      await page.getByRole('banner').getByText('Live', { exact: true }).waitFor();
      for (const view of ['Links', 'Phonebook', 'History', 'Profiles', 'Alarms']) {
        await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: view }).click();
        await page.locator('#view-heading').waitFor();
        if (view === 'Phonebook') {
          await page.getByText('Glasgow Pacific Quay studio 4', { exact: false }).first().waitFor();
          // The phonebook table fits too, Edit and Delete included (no scrolling inside its frame).
          const wrap = page.locator('.table-wrap:has(table.phonebook)');
          await expect(wrap.evaluate((el: { scrollWidth: number; clientWidth: number }) => el.scrollWidth - el.clientWidth)).resolves.toBeLessThanOrEqual(0);
        }
        if (view === 'Alarms') await page.getByRole('row').filter({ hasText: 'loss 12.5 %' }).waitFor();
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
        await page.screenshot({ path: artifactPath(`panel-tablet-${view.toLowerCase()}.png`), fullPage: true });
        expect({ view, overflow }).toEqual({ view, overflow: 0 });
      }
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      links.alarmList.length = 0;
    }
  });

  it('keeps three cards (connected, ringing, failed with a long reason) unclipped at every size', async () => {
    const now = new Date().toISOString();
    links.add(snapshot({ id: 'ring', state: 'ringing', remote: 'sip:news-desk@192.0.2.50', createdAt: now, codec: null, rx: null, rttMs: null }));
    links.add(
      snapshot({
        id: 'fail',
        state: 'failed',
        remote: 'sip:very-long-user-name-for-a-remote-studio@a-very-long-host-name.broadcast.example.org',
        createdAt: now,
        codec: null,
        rx: null,
        rttMs: null,
        endReason: { by: 'remote', sipStatus: 488, reason: 'Not Acceptable Here: no common codec (offered opus, L24, L16; peer supports only AMR-WB and G.729)' },
      }),
    );
    try {
      for (const size of SIZES) {
        const { page, close, errors } = await openBoard(size);
        try {
          await expect(page.getByRole('article', { name: /^Link / }).count()).resolves.toBe(3);
          await page.screenshot({ path: artifactPath(`panel-board-3-links-${size.width}x${size.height}.png`), fullPage: true });
          await expect(page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).resolves.toBeLessThanOrEqual(0);
          checkReadable(await page.evaluate<CardLayout[]>(MEASURE), size);
          expect(errors).toEqual([]);
        } finally {
          await close();
        }
      }
    } finally {
      links.links.delete('ring');
      links.links.delete('fail');
    }
  });
});
