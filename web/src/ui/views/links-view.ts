/**
 * The links board: the filter bar, then either one full card per link (state word and colour,
 * duration, codec, jitter buffer, meters, live figures, graphs, SDP, with hang-up and mid-call profile
 * change for operators) or, with many links, the compact board of one row per link whose full card
 * opens on demand (link-board-view.ts); beside it the dial form (or a note for viewers) and the
 * active alarms. Caller-supplied text goes through lit's text bindings only.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { LinkSnapshot } from '../../model/api-types.js';
import {
  DASH,
  formatCodec,
  formatDuration,
  formatEndReason,
  formatJitterBuffer,
  formatMs,
  formatPct,
  formatPpm,
  liveDurationS,
} from '../../model/format.js';
import { effectiveBoardMode, matchesFilter } from '../../model/link-filter.js';
import { stateView } from '../../model/link-state-view.js';
import type { LinkEntry } from '../../model/panel-store.js';
import { keyOf, openOf, valueOf } from '../event-values.js';
import { canControl, type PanelActions, type PanelState } from '../panel-state.js';
import { dialView } from './dial-view.js';
import { securityFact } from './security-view.js';
import { recoveryFacts } from './recovery-view.js';
import { linkChat } from './messages-view.js';
import { cardDialog, compactBoard, filterBar } from './link-board-view.js';

export function linksView(s: PanelState, a: PanelActions): TemplateResult {
  const all = s.store.boardLinks();
  const entries = all.filter((e) => matchesFilter(e.snapshot, s.linkFilter, s.store.alarms));
  const mode = effectiveBoardMode(s.boardMode, all.length);
  const opened = mode === 'compact' && s.openLinkId !== null ? s.store.links.get(s.openLinkId) : undefined;
  const active = s.store.alarms.filter((al) => !al.clearedAt && !al.acknowledged);
  return html`
    <div class="links-layout">
      <section class="board" aria-labelledby="view-heading" data-board-mode=${mode}>
        <h2 id="view-heading" tabindex="-1">Links</h2>
        ${all.length ? filterBar(s, a, entries.length, all.length) : nothing}
        ${!all.length
          ? html`<p class="empty">No links. Dial a studio to start one.</p>`
          : !entries.length
            ? html`<p class="empty">No link matches the filter.</p>`
            : mode === 'compact'
              ? compactBoard(s, a, entries)
              : html`<div class="cards">${entries.map((e) => linkCard(s, a, e))}</div>`}
      </section>
      ${opened ? cardDialog(a, opened, linkCard(s, a, opened)) : nothing}
      <aside class="side">
        ${canControl(s)
          ? dialView(s, a)
          : s.role === 'viewer'
            ? html`<p class="viewer-note">Signed in as a viewer: you can watch links but not dial, answer or hang up.</p>`
            : nothing}
        ${active.length
          ? html`<section aria-label="Active alarms" class="side-alarms">
              <h2>Alarms</h2>
              <ul>${active.map((al) => html`<li class="alarm ${al.kind}"><span class="dot tone-bad" aria-hidden="true"></span>${al.message}</li>`)}</ul>
            </section>`
          : nothing}
      </aside>
    </div>
  `;
}

export function linkCard(s: PanelState, a: PanelActions, e: LinkEntry): TemplateResult {
  const l = e.snapshot;
  const sv = stateView(l.state);
  const title = l.remoteName || l.remote;
  const rx = l.rx;
  const dur = liveDurationS(l.durationS, e.receivedAtMs, s.nowMs, l.state === 'connected');
  const failed = (l.state === 'failed' || l.state === 'ended' || l.state === 'redialling') && l.endReason;
  const graphsOpen = s.graphsOpen.has(l.id);
  return html`
    <article class="card tone-${sv.tone}" aria-label="Link ${title}" data-link-id=${l.id} data-state=${l.state}>
      <header>
        <span class="state tone-${sv.tone}" role="status"><span class="dot" aria-hidden="true"></span>${sv.word}</span>
        <span class="duration" aria-label="Duration">${formatDuration(dur)}</span>
        <h3 class="remote-name">${title}</h3>
        ${l.remoteName ? html`<p class="uri">${l.remote}</p>` : nothing}
      </header>
      <div class="card-cols">
        <div class="card-main">
          <dl class="facts">
            <div><dt>Direction</dt><dd>${l.direction === 'outbound' ? '→ outbound' : '← inbound'}${l.permanent ? ' · permanent' : ''}${l.redials ? ` · ${l.redials} redials` : ''}</dd></div>
            <div><dt>Profile</dt><dd>${l.profile}</dd></div>
            <div><dt>Codec</dt><dd>${formatCodec(l.codec)}${l.mediaDirection && l.mediaDirection !== 'sendrecv' ? ` · ${l.mediaDirection}` : ''}</dd></div>
            <div><dt>Jitter buffer</dt><dd>${formatJitterBuffer(l.ebuacip)}</dd></div>
            ${securityFact(l)} ${recoveryFacts(l)}
          </dl>
          <div class="meters">
            <div class="meter-row"><span class="meter-label">In</span><acip-meter .linkId=${l.id} .which=${'input'}></acip-meter></div>
            <div class="meter-row"><span class="meter-label">Out</span><acip-meter .linkId=${l.id} .which=${'output'}></acip-meter></div>
          </div>
          <dl class="stats">
            <div><dt>Buffer</dt><dd>${figure(rx ? formatMs(rx.bufferMs, 0) : DASH)}</dd></div>
            <div><dt>Jitter</dt><dd>${figure(formatMs(rx?.jitterMs))}</dd></div>
            <div><dt>Loss</dt><dd>${figure(formatPct(rx?.lossPct))}</dd></div>
            <div><dt>Concealed</dt><dd>${figure(formatPct(rx?.concealedPct))}</dd></div>
            <div><dt>RTT</dt><dd>${figure(formatMs(l.rttMs))}</dd></div>
            <div><dt>Drift</dt><dd>${figure(formatPpm(rx?.driftPpm))}</dd></div>
          </dl>
          ${failed ? html`<p class="failure"><strong>${l.state === 'redialling' ? 'Last call ended' : sv.word}:</strong> <span class="reason">${formatEndReason(l.endReason)}</span></p>` : nothing}
          ${l.localSdp || l.remoteSdp || l.ebuacip
            ? html`<details class="sdp">
                <summary>SDP and EBU ACIP</summary>
                ${l.ebuacip?.theirs.length ? html`<h4>Peer's a=ebuacip</h4><pre>${l.ebuacip.theirs.join('\n')}</pre>` : nothing}
                ${l.remoteSdp ? html`<h4>Remote SDP</h4><pre>${l.remoteSdp}</pre>` : nothing}
                ${l.localSdp ? html`<h4>Local SDP</h4><pre>${l.localSdp}</pre>` : nothing}
              </details>`
            : nothing}
          ${sv.active ? linkChat(s, a, { to: l.remote, remote: l.remote, title }) : nothing}
        </div>
        <details class="graphs" ?open=${graphsOpen} @toggle=${(ev: Event) => a.toggleGraphs(l.id, openOf(ev))}>
          <summary>Graphs (last 10 minutes)</summary>
          ${graphsOpen ? html`<acip-graphs .series=${e.series}></acip-graphs>` : nothing}
        </details>
      </div>
      ${canControl(s) && sv.active && l.state !== 'offered'
        ? html`<footer>
            ${l.state === 'connected' ? profileControl(s, a, l) : nothing}
            ${l.state === 'connected' && s.phonebook.length > 0 ? transferControl(s, a, l) : nothing}
            ${hangupControl(s, a, l)}
          </footer>`
        : nothing}
    </article>
  `;
}

/**
 * "Hang up", and after one press "Confirm hang up" for a few seconds. The button element stays the
 * same across both states, so keyboard focus stays on it; Escape disarms. While the double-click
 * guard runs the button is aria-disabled (not `disabled`, which would drop the focus).
 */
function hangupControl(s: PanelState, a: PanelActions, l: LinkSnapshot): TemplateResult {
  const state = s.hangupConfirm.state(l.id, s.nowMs);
  const armed = state !== 'idle';
  const hintId = `hangup-hint-${l.id}`;
  return html`<div class="hangup">
    <span id=${hintId} class="hangup-hint" aria-live="polite">${armed ? 'Press again to hang up · Esc cancels' : ''}</span>
    <button
      type="button"
      class="danger ${armed ? 'armed' : ''}"
      ?disabled=${s.busy.has(`hangup:${l.id}`)}
      aria-disabled=${state === 'guard' ? 'true' : 'false'}
      aria-describedby=${armed ? hintId : ''}
      @click=${() => a.pressHangup(l.id)}
      @keydown=${(ev: Event) => {
        if (keyOf(ev) === 'Escape' && a.cancelHangup(l.id)) ev.preventDefault();
      }}
    >${armed ? 'Confirm hang up' : 'Hang up'}</button>
  </div>`;
}

/** Mid-call codec change (re-INVITE with another profile): connected links, operators only. */
function profileControl(s: PanelState, a: PanelActions, l: LinkSnapshot): TemplateResult {
  const picked = s.profilePick.get(l.id) ?? l.profile;
  const busy = s.busy.has(`profile:${l.id}`);
  const selectId = `change-profile-${l.id}`;
  return html`<form class="change-profile" @submit=${(ev: Event) => (ev.preventDefault(), a.applyProfile(l))}>
    <label for=${selectId}>Change profile</label>
    <select id=${selectId} .value=${picked} ?disabled=${busy} @change=${(ev: Event) => a.pickProfile(l.id, valueOf(ev))}>
      ${s.profiles.some((p) => p.name === l.profile) ? nothing : html`<option value=${l.profile} ?selected=${picked === l.profile}>${l.profile} (current)</option>`}
      ${s.profiles.map((p) => html`<option value=${p.name} title=${p.title} ?selected=${picked === p.name}>${p.name}${p.name === l.profile ? ' (current)' : ''}</option>`)}
    </select>
    <button type="submit" ?disabled=${busy || picked === l.profile} aria-busy=${busy ? 'true' : 'false'}>Apply</button>
    ${busy ? html`<span class="pending" aria-live="polite">Re-inviting…</span>` : nothing}
  </form>`;
}

/** Hand the link over (REFER): the far end is asked to call the phonebook entry picked instead. Connected links, operators only. */
function transferControl(s: PanelState, a: PanelActions, l: LinkSnapshot): TemplateResult {
  const picked = s.transferPick.get(l.id) ?? '';
  const busy = s.busy.has(`transfer:${l.id}`);
  const selectId = `transfer-${l.id}`;
  return html`<form class="transfer" @submit=${(ev: Event) => (ev.preventDefault(), a.transferLink(l.id))}>
    <label for=${selectId}>Hand over to</label>
    <select id=${selectId} .value=${picked} ?disabled=${busy} @change=${(ev: Event) => a.pickTransfer(l.id, valueOf(ev))}>
      <option value="" ?selected=${picked === ''}>Pick a studio</option>
      ${s.phonebook.map((p) => html`<option value=${p.id} ?selected=${picked === p.id}>${p.name}</option>`)}
    </select>
    <button type="submit" ?disabled=${busy || picked === ''} aria-busy=${busy ? 'true' : 'false'}>Transfer</button>
  </form>`;
}

/** A live figure: the number big, its unit ("ms", "%", "ppm") small, so six fit across a narrow card. */
function figure(text: string): TemplateResult {
  const i = text.lastIndexOf(' ');
  return i > 0 ? html`${text.slice(0, i)}<span class="unit">${text.slice(i)}</span>` : html`${text}`;
}
