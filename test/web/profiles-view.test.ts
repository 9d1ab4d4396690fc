import { describe, expect, it } from 'vitest';
import { codecChoiceText, profilesView } from '../../web/src/ui/views/profiles-view.js';
import { PROFILES, panelState } from './panel-fixtures.js';
import { elements, renderTemplate } from './render-template.js';

describe('profiles view', () => {
  it('shows each profile with its title, packet time, jitter buffer and direction', () => {
    const { html } = renderTemplate(profilesView(panelState({ view: 'profiles', profiles: PROFILES })));
    const cards = elements(html, 'article');
    expect(cards.map((c) => c.attrs['aria-label'])).toEqual(['Profile opus-stereo-music', 'Profile l24-studio']);
    expect(cards[0]!.text).toContain('Opus stereo music opus-stereo-music');
    expect(cards[0]!.text).toContain('Music contribution over the public internet.');
    expect(cards[0]!.text).toContain('Packet time 20 ms · jitter buffer adaptive 40–200 ms · accepts peer jbdef · sendrecv');
    expect(cards[1]!.text).toContain('Packet time 5 ms · jitter buffer fixed 20 ms · recvonly');
  });

  it('lists the codecs in the order they are offered', () => {
    const { html } = renderTemplate(profilesView(panelState({ profiles: PROFILES })));
    expect(elements(html, 'li').map((l) => l.text)).toEqual(['opus · 48 kHz · stereo · 128 kbit/s · 20 ms · FEC', 'G722 · 20 ms', 'L24 · 48 kHz · stereo · 5 ms']);
  });

  it.each([
    [{ codec: 'opus', channels: 1, application: 'voip' as const, dtx: true }, 'opus · mono · 20 ms · voip · DTX'],
    [{ codec: 'PCMA', ptimeMs: 10 }, 'PCMA · 10 ms'],
  ])('describes the codec choice %j as "%s"', (choice, text) => {
    expect(codecChoiceText(choice, 20)).toBe(text);
  });
});
