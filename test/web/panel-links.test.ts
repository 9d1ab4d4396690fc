/**
 * End to end: the real service, a real peer (baresip as a remote studio) and the panel
 * in chromium. Dial by clicking, watch the card reach "Connected" with meters moving, hang up by
 * clicking, find the call in history; an inbound call appears on the board without a reload.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { ROOT_DIR } from '../../server/version.js';
import { startAcip, type AcipProcess } from '../helpers/acip-process.js';
import { artifactPath, countGreenPixels, ensurePanelBuilt, hasChromium, launchChromium, openPanelPage } from '../helpers/browser.js';
import { requireProgram } from '../helpers/require-program.js';
import { freePort } from '../helpers/sip-peer-process.js';
import { startBaresipStudio, type BaresipStudio } from './baresip-studio.js';

const has = hasChromium() && requireProgram('baresip') && requireProgram('sox');

/** Highest peak (dBFS) an <acip-meter> last drew from, or −Infinity. */
async function meterPeak(meter: Locator): Promise<number> {
  const levels = (await meter.getAttribute('data-levels')) ?? '';
  const values = levels
    .split(',')
    .filter((v) => v && v !== '-inf')
    .map(Number);
  return values.length ? Math.max(...values) : -Infinity;
}

/** "1:05" or "1:02:03" → seconds. */
function durationS(text: string): number {
  return text
    .trim()
    .split(':')
    .reduce((acc, part) => acc * 60 + Number(part), 0);
}

/** Lit (green) pixels in a meter's canvas. */
async function litPixels(meter: Locator): Promise<number> {
  return meter.locator('canvas').evaluate(countGreenPixels as unknown as (c: unknown) => number);
}

/** Record every state a card passes through (data-state), from the page's side. */
const WATCH_STATES = `(() => {
  window.__states = [];
  const seen = (el) => { const s = el.getAttribute('data-state'); if (s && window.__states.at(-1) !== s) window.__states.push(s); };
  new MutationObserver((muts) => {
    for (const m of muts) {
      if (m.type === 'attributes' && m.target.matches?.('article.card')) seen(m.target);
      for (const n of m.addedNodes) if (n.querySelectorAll) { if (n.matches('article.card')) seen(n); n.querySelectorAll('article.card').forEach(seen); }
    }
  }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
})()`;

describe.skipIf(!has)('links on the panel with a real baresip studio', () => {
  let acip: AcipProcess;
  let studio: BaresipStudio;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let acipSipPort: number;

  beforeAll(async () => {
    await ensurePanelBuilt();
    acipSipPort = await freePort();
    const rtpLo = 30000 + 2 * Math.floor(Math.random() * 10000);
    acip = await startAcip(['--sip-port', String(acipSipPort), '--rtp-ports', `${rtpLo}-${rtpLo + 98}`, '--input', 'tone:1000:-18']);
    studio = await startBaresipStudio('Studio B');
    browser = await launchChromium();
    ({ page, errors } = await openPanelPage(browser));
    await page.goto(acip.httpUrl);
    await page.getByRole('banner').getByText('Live', { exact: true }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await studio?.stop();
    await acip?.stop();
  });

  it('dials by clicking, shows connecting then connected with live meters, hangs up by clicking, and lists the call in history', async () => {
    await page.evaluate(WATCH_STATES);
    const uri = `sip:studio@127.0.0.1:${studio.sipPort}`;
    await page.getByLabel('SIP URI', { exact: true }).fill(uri);
    await page.getByRole('button', { name: 'Dial', exact: true }).click();

    const card = page.getByRole('article', { name: /^Link / });
    await card.waitFor();
    await card.getByRole('status').getByText('Connected').waitFor({ timeout: 15_000 });
    const states = await page.evaluate<string[]>('window.__states');
    expect(states[0]).toBe('dialling');
    expect(states).toContain('connected');
    await expect(card.getByText(uri).or(card.getByRole('heading', { name: uri })).first().isVisible()).resolves.toBe(true);
    // The negotiated codec and jitter buffer are shown once connected.
    await expect.poll(() => card.locator('.facts dd').nth(2).innerText(), { timeout: 5000 }).not.toBe('—');

    // Meters: our tone (−18 dBFS) on the input, baresip's tone on the output; both drawn on canvas.
    const input = card.locator('acip-meter').first();
    const output = card.locator('acip-meter').nth(1);
    await expect.poll(() => meterPeak(input), { timeout: 10_000 }).toBeGreaterThan(-30);
    await expect.poll(() => meterPeak(output), { timeout: 10_000 }).toBeGreaterThan(-30);
    await expect.poll(() => litPixels(input), { timeout: 5000 }).toBeGreaterThan(0);
    await expect.poll(() => litPixels(output), { timeout: 5000 }).toBeGreaterThan(0);

    // Graphs over the last 10 minutes, fed by the 1 Hz stats.
    await card.getByText('Graphs (last 10 minutes)').click();
    await card.getByText('Buffer delay vs jitter (ms)').waitFor();
    await card.getByText('Round-trip time (ms)').waitFor();
    await expect.poll(() => card.locator('acip-graphs canvas').count()).toBe(3);

    // The README screenshot: the link after about 5 s on air, so that the figures and graphs hold data.
    const graphPoints = () => card.locator('acip-graphs').getAttribute('data-points').then(Number);
    await expect.poll(async () => durationS(await card.getByLabel('Duration').innerText()), { timeout: 15_000 }).toBeGreaterThanOrEqual(5);
    await expect.poll(graphPoints, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    await expect.poll(() => card.locator('.stats dd').first().innerText()).toMatch(/^\d+ ms$/);
    // RTT needs an RTCP report from baresip (RFC 3550 §6.4.1: about every 5 s).
    await expect.poll(() => card.locator('.stats dd').nth(4).innerText(), { timeout: 15_000 }).toMatch(/^\d+\.\d ms$/);
    const pointsAtRtt = await graphPoints();
    await expect.poll(graphPoints, { timeout: 10_000 }).toBeGreaterThanOrEqual(pointsAtRtt + 2); // a line on the RTT graph too
    const dismiss = page.getByRole('button', { name: 'Dismiss message' });
    if (await dismiss.count()) await dismiss.click();
    await page.screenshot({ path: artifactPath('panel-board-live.png') });
    // The README's picture is refreshed only on request, so a test run never edits a tracked file.
    if (process.env.ACIP_UPDATE_SCREENSHOT === '1') copyFileSync(artifactPath('panel-board-live.png'), join(ROOT_DIR, 'web/screenshot-board.png'));

    // Hang up takes two presses; the first leaves the call up.
    await card.getByRole('button', { name: 'Hang up', exact: true }).click();
    await expect(card.getAttribute('data-state')).resolves.toBe('connected');
    await card.getByRole('button', { name: 'Confirm hang up', exact: true }).click();
    await expect
      .poll(async () => ((await card.count()) === 0 ? 'gone' : await card.getAttribute('data-state')), { timeout: 10_000 })
      .toMatch(/^(ended|gone)$/);

    await page.getByRole('link', { name: 'History' }).click();
    const row = page.getByRole('table', { name: 'Calls' }).getByRole('row').filter({ hasText: uri });
    await row.first().waitFor();
    await expect(row.first().innerText()).resolves.toContain('outbound');
    const csvHref = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    const csv = await page.request.get(`${acip.httpUrl}${csvHref}`);
    expect(csv.status()).toBe(200);
    await expect(csv.text()).resolves.toContain(uri);
    expect(errors).toEqual([]);
  });

  it('shows an inbound call from baresip on the board without a reload', async () => {
    await page.getByRole('link', { name: 'Links' }).click();
    await page.evaluate('window.__noReload = true');
    await studio.command(`/dial sip:panel@127.0.0.1:${acipSipPort}`);
    const card = page.getByRole('article', { name: `Link ${studio.displayName}` });
    const prompt = page.getByRole('group', { name: new RegExp(`Incoming call from ${studio.displayName}`) });
    await card.or(prompt).first().waitFor({ timeout: 15_000 });
    // Under a manual answer policy the prompt names the caller and answers with one click.
    if (await prompt.isVisible()) await prompt.getByRole('button', { name: 'Answer', exact: true }).click();
    await card.getByRole('status').getByText('Connected').waitFor({ timeout: 15_000 });
    await expect(card.innerText()).resolves.toContain('inbound');
    await expect(page.evaluate<boolean>('window.__noReload === true')).resolves.toBe(true);
    await card.getByRole('button', { name: 'Hang up', exact: true }).click();
    await card.getByRole('button', { name: 'Confirm hang up', exact: true }).click();
    await expect
      .poll(async () => ((await card.count()) === 0 ? 'gone' : await card.getAttribute('data-state')), { timeout: 10_000 })
      .toMatch(/^(ended|gone)$/);
  });

  it('says the service is away while it is down and recovers by itself when it is back', async () => {
    const port = new URL(acip.httpUrl).port;
    await acip.stop();
    await page.getByText(/Service unreachable — reconnecting/).waitFor({ timeout: 10_000 });
    acip = await startAcip(['--http-port', port]);
    await page.getByRole('banner').getByText('Live', { exact: true }).waitFor({ timeout: 20_000 });
  });
});
