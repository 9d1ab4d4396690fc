/**
 * The panel against the service's real HTTP layer (REST routes, live feed, stores on a temp dir) with
 * a scripted link manager in place of SIP and media, so every link state, failure, prompt and alarm can
 * be shown on demand and checked in chromium: words and colours on the cards, meters drawn on canvas,
 * hang-up and answer by clicking, alarms acknowledged, reconnection after the service restarts.
 * (panel-links.test.ts does the same end to end with baresip.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Alarm } from '../../server/links/link-types.js';
import { formatMs, formatPct, formatPpm } from '../../web/src/model/format.js';
import { stateView } from '../../web/src/model/link-state-view.js';
import { artifactPath, countGreenPixels, ensurePanelBuilt, hasChromium, launchChromium, openPanelPage } from '../helpers/browser.js';
import { ScriptedLinks, startScriptedApp, type ScriptedApp } from './scripted-service.js';
import { rxStats, snapshot } from './snapshots.js';

const has = hasChromium();

describe.skipIf(!has)('panel on the live feed (scripted links) in chromium', () => {
  const links = new ScriptedLinks();
  let server: ScriptedApp;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    await ensurePanelBuilt();
    server = await startScriptedApp(links);
    browser = await launchChromium();
    ({ page, errors } = await openPanelPage(browser));
    await page.goto(server.url);
    await page.getByRole('banner').getByText('Live', { exact: true }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.app.close();
  });

  it('shows the registration from the feed in the status bar', async () => {
    await page.getByLabel('SIP registration').getByText('Registration: registered sip:studio1@example.net').waitFor();
  });

  it('names a bad SIP URI beside the field instead of dialling', async () => {
    await page.getByLabel('SIP URI', { exact: true }).fill('mailto:studio@example.net');
    await page.getByRole('button', { name: 'Dial', exact: true }).click();
    await page.locator('#dial-to-error').getByText('to: not a SIP URI').waitFor();
    await expect(page.getByLabel('SIP URI', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');
    expect(links.calls.filter((c) => c.startsWith('dial'))).toEqual([]);
  });

  it('follows a call from Connecting through Ringing to Connected, with stats and meters, and hangs up by clicking', async () => {
    const uri = 'sip:studio-b@192.0.2.10';
    await page.getByLabel('SIP URI', { exact: true }).fill(uri);
    await page.getByRole('button', { name: 'Dial', exact: true }).click();
    const card = page.getByRole('article', { name: `Link ${uri}` });
    await card.getByRole('status').getByText(stateView('dialling').word).waitFor();
    const id = (await card.getAttribute('data-link-id'))!;
    expect(links.calls).toContain(`dial ${uri}`);
    // Only a connected link can change codec: no profile control while dialling.
    await expect(card.getByLabel('Change profile').count()).resolves.toBe(0);

    links.set(id, { state: 'ringing' });
    await card.getByRole('status').getByText(stateView('ringing').word).waitFor();

    const rx = rxStats({ jitterMs: 2.345, bufferMs: 42, lossPct: 0.12, concealedPct: 0.05, driftPpm: -3.2, packets: 500 });
    links.set(id, {
      state: 'connected',
      remoteName: 'Studio B',
      connectedAt: new Date(Date.now() - 65_000).toISOString(),
      durationS: 65,
      codec: { name: 'opus', clockRate: 48000, channels: 2, ptimeMs: 20, payloadType: 111, params: { maxaveragebitrate: 128000 } },
      ebuacip: { applied: { mode: 'adaptive', minMs: 20, maxMs: 160, source: 'peer' }, theirs: ['a=ebuacip:jbdef 0 auto 20-160'], ours: [] },
      rx,
      rttMs: 8.5,
    });
    const named = page.getByRole('article', { name: 'Link Studio B' });
    await named.getByRole('status').getByText('Connected').waitFor();
    await named.getByText(uri).waitFor();
    await named.getByText('opus · 48 kHz · 2 ch · 20 ms · 128 kbit/s').waitFor();
    await named.getByText('adaptive 20–160 ms (from peer)').waitFor();
    for (const text of [formatMs(rx.jitterMs), formatPct(rx.lossPct), formatPct(rx.concealedPct), formatPpm(rx.driftPpm), formatMs(8.5)]) {
      await named.locator('.stats').getByText(text, { exact: true }).waitFor();
    }
    // The duration ticks on from the server's figure.
    await expect.poll(() => named.getByLabel('Duration').innerText(), { timeout: 5000 }).toMatch(/^1:(0[6-9]|1\d)$/);

    // Meters move: the readings change at 10 Hz and the canvas shows a bar.
    const input = named.locator('acip-meter').first();
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          seen.add((await input.getAttribute('data-levels')) ?? '');
          return seen.size;
        },
        { timeout: 5000, interval: 100 },
      )
      .toBeGreaterThan(3);
    const lit = await input.locator('canvas').evaluate(countGreenPixels as unknown as (c: unknown) => number);
    expect(lit).toBeGreaterThan(0);
    await expect(input.locator('canvas').getAttribute('aria-label')).resolves.toMatch(/^Input level: channel 1 −\d+\.\d dBFS, channel 2/);

    // Graphs over the last 10 minutes, fed by the 1 Hz stats.
    await named.getByText('Graphs (last 10 minutes)').click();
    await named.getByText('Buffer delay vs jitter (ms)').waitFor();
    await named.getByText('Lost / late / concealed packets per second').waitFor();
    await named.getByText('Round-trip time (ms)').waitFor();
    await expect.poll(() => named.locator('acip-graphs canvas').count()).toBe(3);
    await page.screenshot({ path: artifactPath('panel-board-scripted.png') });
    // Hanging up takes two presses: the first only arms the button.
    await named.getByRole('button', { name: 'Hang up', exact: true }).click();
    const confirm = named.getByRole('button', { name: 'Confirm hang up', exact: true });
    await confirm.waitFor();
    expect(links.calls).not.toContain(`hangup ${id}`);
    await expect(named.getAttribute('data-state')).resolves.toBe('connected');
    await confirm.click();
    await named.getByRole('status').getByText('Ended').waitFor();
    await named.getByText('hung up from the panel — hung up here').waitFor();
    expect(links.calls).toContain(`hangup ${id}`);
    await expect(named.getByRole('button', { name: /hang up/i }).count()).resolves.toBe(0);
  });

  it('never hangs up on one click or a double-click: the armed button disarms by itself after a few seconds', async () => {
    links.add(snapshot({ id: 'c1', state: 'connected', remote: 'sip:studio-c@192.0.2.11', remoteName: 'Studio C', profile: 'opus-music-128k', createdAt: new Date().toISOString(), connectedAt: new Date().toISOString() }));
    const card = page.getByRole('article', { name: 'Link Studio C' });
    const hangup = card.getByRole('button', { name: 'Hang up', exact: true });
    await hangup.dblclick();
    const confirm = card.getByRole('button', { name: 'Confirm hang up', exact: true });
    await confirm.waitFor();
    await expect(card.getByText('Press again to hang up · Esc cancels').isVisible()).resolves.toBe(true);
    await expect(confirm.getAttribute('aria-describedby')).resolves.toBe('hangup-hint-c1');
    // Left alone, the button goes back to "Hang up" and the link stays up.
    await hangup.waitFor({ timeout: 6000 });
    await expect(confirm.count()).resolves.toBe(0);
    expect(links.calls).not.toContain('hangup c1');
    await expect(card.getAttribute('data-state')).resolves.toBe('connected');
  });

  it('hangs up from the keyboard: Enter arms, Escape disarms, Enter twice hangs up, and focus stays on the button', async () => {
    const card = page.getByRole('article', { name: 'Link Studio C' });
    const focusedText = () => page.evaluate<string>(`document.activeElement?.textContent?.trim() ?? ''`);
    await card.getByRole('button', { name: 'Hang up', exact: true }).focus();
    await page.keyboard.press('Enter');
    await card.getByRole('button', { name: 'Confirm hang up', exact: true }).waitFor();
    await expect(focusedText()).resolves.toBe('Confirm hang up');
    await page.keyboard.press('Escape');
    await card.getByRole('button', { name: 'Hang up', exact: true }).waitFor();
    await expect(focusedText()).resolves.toBe('Hang up');
    expect(links.calls).not.toContain('hangup c1');
    await page.keyboard.press('Enter');
    const confirm = card.getByRole('button', { name: 'Confirm hang up', exact: true });
    // A second press during the double-click guard is ignored (the button says so with aria-disabled).
    await expect.poll(() => confirm.getAttribute('aria-disabled')).toBe('false');
    await page.keyboard.press('Enter');
    await card.getByRole('status').getByText('Ended').waitFor();
    expect(links.calls).toContain('hangup c1');
  });

  it('changes the profile of a connected link from its card, and says why when the far end refuses', async () => {
    links.add(snapshot({ id: 'c2', state: 'connected', remote: 'sip:studio-d@192.0.2.12', remoteName: 'Studio D', profile: 'opus-music-128k', createdAt: new Date().toISOString(), connectedAt: new Date().toISOString() }));
    const card = page.getByRole('article', { name: 'Link Studio D' });
    const select = card.getByLabel('Change profile', { exact: true });
    const apply = card.getByRole('button', { name: 'Apply', exact: true });
    const profileFact = card.locator('.facts dd').nth(1);
    await select.waitFor();
    await expect(select.inputValue()).resolves.toBe('opus-music-128k');
    await expect(apply.isDisabled()).resolves.toBe(true); // the current profile: nothing to apply

    links.refuseProfiles.add('g711-telephone');
    await select.selectOption('g711-telephone');
    await apply.click();
    await page.getByRole('alert').getByText('Change profile failed: the far end refused the codec change (488 Not Acceptable Here)').waitFor();
    await expect(profileFact.innerText()).resolves.toBe('opus-music-128k');

    await select.selectOption('g722-voice');
    await apply.click();
    await expect.poll(() => profileFact.innerText()).toBe('g722-voice');
    expect(links.calls).toContain('profile c2 g722-voice');
    await expect(select.inputValue()).resolves.toBe('g722-voice');
    await expect(apply.isDisabled()).resolves.toBe(true);
    links.set('c2', { state: 'ended', endReason: { by: 'remote', reason: 'BYE' } });
    await expect.poll(() => select.count()).toBe(0);
  });

  it('shows why a call failed, with its SIP status, in words and red', async () => {
    links.add(
      snapshot({ id: 'f1', state: 'failed', remote: 'sip:busy@192.0.2.20', createdAt: new Date().toISOString(), rx: null, endReason: { by: 'remote', sipStatus: 486, reason: 'Busy Here' } }),
    );
    const card = page.getByRole('article', { name: 'Link sip:busy@192.0.2.20' });
    await card.getByText('486 Busy Here — hung up by far end').waitFor();
    await expect(card.getAttribute('class')).resolves.toContain('tone-bad');
    await expect(card.getByRole('status').innerText()).resolves.toMatch(/failed/i);
  });

  it('prompts for a manual answer with the caller identity as text, and answers with one click', async () => {
    const hostile = '<img src=x onerror="window.__xss=1">';
    links.add(snapshot({ id: 'in1', state: 'offered', direction: 'inbound', remote: 'sip:caller@192.0.2.30', remoteName: hostile, createdAt: new Date().toISOString() }));
    const prompt = page.getByRole('group', { name: `Incoming call from ${hostile} <sip:caller@192.0.2.30>` });
    await prompt.waitFor();
    await expect(prompt.locator('.caller').innerText()).resolves.toBe(`${hostile} <sip:caller@192.0.2.30>`);
    await expect(page.locator('img').count()).resolves.toBe(0);
    await prompt.getByRole('button', { name: 'Answer', exact: true }).click();
    await page.getByRole('article', { name: `Link ${hostile}` }).getByRole('status').getByText('Connected').waitFor();
    await expect(prompt.count()).resolves.toBe(0);
    expect(links.calls).toContain('answer in1');
    await expect(page.evaluate('window.__xss')).resolves.toBeUndefined();
  });

  it('rejects an offered call with one click', async () => {
    links.add(snapshot({ id: 'in2', state: 'offered', direction: 'inbound', remote: 'sip:other@192.0.2.31', createdAt: new Date().toISOString() }));
    const prompt = page.getByRole('group', { name: 'Incoming call from sip:other@192.0.2.31' });
    await prompt.getByRole('button', { name: 'Reject', exact: true }).click();
    await expect.poll(() => prompt.count()).toBe(0);
    expect(links.calls).toContain('reject in2');
  });

  it('raises an alarm with a badge and lets the engineer acknowledge it', async () => {
    const alarm: Alarm = { id: 'al1', kind: 'loss', linkId: 'f1', message: 'Studio B: loss 5.2 % over 10 s', raisedAt: new Date().toISOString(), acknowledged: false };
    links.alarmList.push(alarm);
    links.events.emit('alarm', alarm);
    await page.getByRole('navigation', { name: 'Sections' }).getByLabel('1 unacknowledged').waitFor();
    await page.getByRole('link', { name: /Alarms/ }).click();
    const row = page.getByRole('row').filter({ hasText: alarm.message });
    await row.getByText('Packet loss').waitFor();
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await row.getByText('active, acknowledged').waitFor();
    expect(links.alarmList[0]!.acknowledged).toBe(true);
    await expect(page.getByRole('navigation', { name: 'Sections' }).getByLabel('1 unacknowledged').count()).resolves.toBe(0);
    await page.getByRole('link', { name: 'Links' }).click();
  });

  it('edits the phonebook and offers its entries, with reachability, in the dial form', async () => {
    await page.getByRole('link', { name: 'Phonebook' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Studio C');
    await page.getByLabel('Studio SIP URI').fill('sip:c@192.0.2.40');
    await page.getByLabel(/Caller's user name/).fill('studioc');
    await page.getByLabel(/Caller's password/).fill('long-secret-1');
    await page.getByRole('button', { name: 'Save entry' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Studio C' });
    await row.getByText('reachable, 3 ms').waitFor();
    await row.getByRole('button', { name: 'Edit Studio C' }).click();
    // The stored password is never shown; an edit that leaves it empty keeps it.
    await expect(page.getByLabel(/Caller's password \(stored/).inputValue()).resolves.toBe('');
    await page.getByLabel('Notes').fill('OB truck, 4G bonded');
    await page.getByRole('button', { name: 'Save entry' }).click();
    await row.getByText('OB truck, 4G bonded').waitFor();
    const stored = (await (await fetch(`${server.url}/api/phonebook`)).json()) as { entries: { name: string; inboundAuth?: unknown }[] };
    expect(stored.entries.find((e) => e.name === 'Studio C')?.inboundAuth).toEqual({ user: 'studioc', hasPassword: true });
    await page.getByRole('link', { name: 'Links' }).click();
    const pick = page.getByLabel('Phonebook entry');
    await pick.selectOption({ label: '● Studio C — reachable, 3 ms' });
    await expect(page.getByLabel('SIP URI', { exact: true }).inputValue()).resolves.toBe('sip:c@192.0.2.40');
    await page.getByRole('button', { name: 'Dial', exact: true }).click();
    await page.getByRole('article', { name: 'Link sip:c@192.0.2.40' }).waitFor();
    expect(links.calls).toContain('dial sip:c@192.0.2.40');
    await page.getByRole('link', { name: 'Phonebook' }).click();
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Delete Studio C' }).click();
    await expect.poll(() => row.count()).toBe(0);
    await page.getByRole('link', { name: 'Links' }).click();
  });

  it('says the service is unreachable while it is down and comes back by itself', async () => {
    const port = Number(new URL(server.url).port);
    await server.app.close();
    await page.getByText(/Service unreachable — reconnecting/).waitFor({ timeout: 10_000 });
    server = await startScriptedApp(links, port);
    await page.getByRole('banner').getByText('Live', { exact: true }).waitFor({ timeout: 20_000 });
    // The hello after reconnecting restores the board.
    await page.getByRole('article', { name: 'Link Studio B' }).waitFor();
    expect(errors).toEqual([]);
  });
});
