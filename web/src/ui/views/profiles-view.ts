/**
 * The profiles the service offers: title, description, packet time, jitter buffer, media direction,
 * and the codecs offered, in order.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { ProfileSummary } from '../../model/api-types.js';
import type { PanelState } from '../panel-state.js';

export function profilesView(s: PanelState): TemplateResult {
  return html`
    <section aria-labelledby="view-heading">
      <h2 id="view-heading" tabindex="-1">Profiles</h2>
      <div class="profiles">
        ${s.profiles.map((p) => {
          const jb = p.jitterBuffer.mode === 'fixed' ? `fixed ${p.jitterBuffer.delayMs} ms` : `adaptive ${p.jitterBuffer.minMs}–${p.jitterBuffer.maxMs} ms`;
          return html`<article class="profile" aria-label="Profile ${p.name}">
            <h3>${p.title} <span class="mono small">${p.name}</span></h3>
            ${p.description ? html`<p>${p.description}</p>` : nothing}
            <p class="small">Packet time ${p.ptimeMs} ms · jitter buffer ${jb}${p.acceptPeerJbdef ? ' · accepts peer jbdef' : ''} · ${p.direction ?? 'sendrecv'}</p>
            <ol aria-label="Codecs offered, in order">
              ${p.codecs.map((c) => html`<li>${codecChoiceText(c, p.ptimeMs)}</li>`)}
            </ol>
          </article>`;
        })}
      </div>
    </section>
  `;
}

/** "opus · 48 kHz · stereo · 128 kbit/s · 20 ms · audio · FEC" */
export function codecChoiceText(c: ProfileSummary['codecs'][number], ptimeMs: number): string {
  const parts: string[] = [c.codec];
  if (c.sampleRate) parts.push(`${c.sampleRate / 1000} kHz`);
  if (c.channels) parts.push(c.channels === 2 ? 'stereo' : 'mono');
  if (c.bitrate) parts.push(`${Math.round(c.bitrate / 1000)} kbit/s`);
  parts.push(`${c.ptimeMs ?? ptimeMs} ms`);
  if (c.application) parts.push(c.application);
  if (c.fec) parts.push('FEC');
  if (c.dtx) parts.push('DTX');
  return parts.join(' · ');
}
