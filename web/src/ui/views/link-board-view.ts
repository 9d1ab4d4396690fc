/**
 * The links board for many links: the filter bar (text, state group, problems only, and the switch
 * between compact rows and full cards), the compact board (one row per link: state, remote, codec,
 * a small input meter, loss, buffer, duration) and a link's full card opened over it from its row
 * (click, or Enter / Space on the focused row; Escape or × closes it). Caller-supplied text goes
 * through lit's text bindings only.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { DASH, formatCodecShort, formatDuration, formatMs, formatPct, liveDurationS } from '../../model/format.js';
import {
  STATE_FILTERS,
  compareByStateThenRemote,
  isFiltering,
  isStateFilter,
  linkProblems,
  type BoardMode,
} from '../../model/link-filter.js';
import { stateView } from '../../model/link-state-view.js';
import type { LinkEntry } from '../../model/panel-store.js';
import { checkedOf, keyOf, valueOf } from '../event-values.js';
import type { PanelActions, PanelState } from '../panel-state.js';
import { securityMark } from './security-view.js';

const MODES: readonly { id: BoardMode; label: string }[] = [
  { id: 'auto', label: 'Auto' },
  { id: 'compact', label: 'Compact' },
  { id: 'cards', label: 'Cards' },
];

/** Text, state group, problems only; how many links pass; and the compact / cards switch. */
export function filterBar(s: PanelState, a: PanelActions, shown: number, total: number): TemplateResult {
  const f = s.linkFilter;
  return html`<div class="link-filters" role="search" aria-label="Filter links">
    <label class="sr-only" for="link-filter-text">Filter links by remote, name or id</label>
    <input
      id="link-filter-text"
      type="search"
      placeholder="Filter by remote, name or id"
      .value=${f.text}
      @input=${(ev: Event) => a.editLinkFilter({ text: valueOf(ev) })}
    />
    <label class="sr-only" for="link-filter-state">State</label>
    <select id="link-filter-state" @change=${(ev: Event) => {
      const v = valueOf(ev);
      if (isStateFilter(v)) a.editLinkFilter({ state: v });
    }}>
      ${STATE_FILTERS.map((g) => html`<option value=${g.id} ?selected=${f.state === g.id}>${g.label}</option>`)}
    </select>
    <label class="check"><input id="link-filter-problems" type="checkbox" .checked=${f.problemsOnly} @change=${(ev: Event) => a.editLinkFilter({ problemsOnly: checkedOf(ev) })} />Problems only</label>
    <span class="shown" role="status">${isFiltering(f) ? `${shown} of ${total} links` : `${total} links`}</span>
    <fieldset class="board-mode">
      <legend>Layout</legend>
      ${MODES.map(
        (m) => html`<label class="check"><input type="radio" name="board-mode" value=${m.id} .checked=${s.boardMode === m.id} @change=${() => a.setBoardMode(m.id)} />${m.label}</label>`,
      )}
    </fieldset>
  </div>`;
}

/** One row per link, sorted by state then remote; a row opens the link's full card. */
export function compactBoard(s: PanelState, a: PanelActions, entries: readonly LinkEntry[]): TemplateResult {
  const rows = [...entries].sort((x, y) => compareByStateThenRemote(x.snapshot, y.snapshot));
  return html`<div class="table-wrap">
    <table class="link-table" aria-label="Links (compact)">
      <thead>
        <tr><th scope="col">State</th><th scope="col">Remote</th><th scope="col">Codec</th><th scope="col">Input</th><th scope="col">Loss</th><th scope="col">Buffer</th><th scope="col">Duration</th></tr>
      </thead>
      <tbody>
        ${rows.map((e) => linkRow(s, a, e))}
      </tbody>
    </table>
  </div>`;
}

function linkRow(s: PanelState, a: PanelActions, e: LinkEntry): TemplateResult {
  const l = e.snapshot;
  const sv = stateView(l.state);
  const title = l.remoteName || l.remote;
  // The state word already says "failed" or "redialling": the row lists the other problems.
  const problems = linkProblems(l, s.store.alarms).filter((p) => p !== l.state);
  const connected = l.state === 'connected';
  const open = () => a.openLink(l.id);
  return html`<tr
    class="link-row tone-${sv.tone} ${problems.length ? 'has-problem' : ''}"
    data-link-id=${l.id}
    data-state=${l.state}
    tabindex="0"
    aria-haspopup="dialog"
    aria-label="Link ${title}: ${sv.word}${problems.length ? `, ${problems.join(', ')}` : ''}"
    @click=${open}
    @keydown=${(ev: Event) => {
      const key = keyOf(ev);
      if (key === 'Enter' || key === ' ') {
        ev.preventDefault();
        open();
      }
    }}
  >
    <td class="state-cell"><span class="row-state tone-${sv.tone}"><span class="dot" aria-hidden="true"></span>${sv.word}</span>${problems.length
      ? html`<div class="problem">${problems.join(' · ')}</div>`
      : nothing}</td>
    <td class="remote-cell"><div class="row-name">${title}</div>${l.remoteName ? html`<div class="row-uri">${l.remote}</div>` : nothing}</td>
    <td>${formatCodecShort(l.codec)} ${securityMark(l)}</td>
    <td class="meter-cell">${connected ? html`<acip-meter .linkId=${l.id} .which=${'input'} .compact=${true}></acip-meter>` : DASH}</td>
    <td class="num">${formatPct(l.rx?.lossPct)}</td>
    <td class="num">${l.rx ? formatMs(l.rx.bufferMs, 0) : DASH}</td>
    <td class="num">${connected ? formatDuration(liveDurationS(l.durationS, e.receivedAtMs, s.nowMs, true)) : DASH}</td>
  </tr>`;
}

/** The full card of one link over the compact board; Escape (unless a control inside used it) or × closes. */
export function cardDialog(a: PanelActions, e: LinkEntry, card: TemplateResult): TemplateResult {
  const l = e.snapshot;
  const close = () => a.openLink(null);
  return html`<div class="card-overlay" @click=${(ev: Event) => {
    if (ev.target === ev.currentTarget) close();
  }}>
    <div
      class="card-dialog"
      role="dialog"
      aria-modal="true"
      aria-label="Link ${l.remoteName || l.remote}"
      tabindex="-1"
      @keydown=${(ev: Event) => {
        if (keyOf(ev) === 'Escape' && !ev.defaultPrevented) {
          ev.preventDefault();
          close();
        }
      }}
    >
      <button type="button" class="small close-card" aria-label="Close the full card" @click=${close}>×</button>
      ${card}
    </div>
  </div>`;
}
