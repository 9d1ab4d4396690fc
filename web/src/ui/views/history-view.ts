/**
 * Call history: a filter (remote, direction), a CSV export of the same filter, and one row per call
 * with its codec, duration, end reason and receive-quality summary.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { HistoryRecord } from '../../model/api-types.js';
import { DASH, formatDuration, formatEndReason, formatMs, formatPct, formatTime } from '../../model/format.js';
import { valueOf as value } from '../event-values.js';
import { historyQuery, type PanelActions, type PanelState } from '../panel-state.js';

export function historyView(s: PanelState, a: PanelActions): TemplateResult {
  const q = historyQuery(s.historyFilter);
  return html`
    <section aria-labelledby="view-heading">
      <h2 id="view-heading" tabindex="-1">Call history</h2>
      <form class="filters" @submit=${(ev: Event) => (ev.preventDefault(), a.loadHistory())}>
        <label for="hist-remote">Remote contains</label>
        <input id="hist-remote" type="search" .value=${s.historyFilter.remote} @input=${(ev: Event) => a.editHistoryFilter({ remote: value(ev) })} />
        <label for="hist-direction">Direction</label>
        <select id="hist-direction" .value=${s.historyFilter.direction} @change=${(ev: Event) => (a.editHistoryFilter({ direction: value(ev) }), a.loadHistory())}>
          <option value="">Both</option><option value="outbound">Outbound</option><option value="inbound">Inbound</option>
        </select>
        <button type="submit">Refresh</button>
        <a class="button" href="/api/history.csv${q ? `?${q}` : ''}" download="acip-history.csv">Export CSV</a>
      </form>
      <div class="table-wrap">
        <table aria-label="Calls">
          <thead>
            <tr>
              <th scope="col">Start</th><th scope="col">Direction</th><th scope="col">Remote</th><th scope="col">Codec</th><th scope="col">Duration</th>
              <th scope="col">Answer delay</th><th scope="col">End</th><th scope="col">Loss</th><th scope="col">Concealed</th><th scope="col">Max jitter</th>
              <th scope="col">Buffer mean / max</th><th scope="col">RTT</th><th scope="col">Redials</th>
            </tr>
          </thead>
          <tbody>
            ${s.history.length === 0 ? html`<tr><td colspan="13" class="empty">No calls yet.</td></tr>` : nothing}
            ${s.history.map(callRow)}
          </tbody>
        </table>
      </div>
    </section>
  `;
}

function callRow(c: HistoryRecord): TemplateResult {
  return html`<tr>
    <td>${formatTime(c.startedAt)}</td>
    <td>${c.direction}</td>
    <td>${c.remoteName ? html`${c.remoteName}<br /><span class="mono small">${c.remote}</span>` : html`<span class="mono">${c.remote}</span>`}</td>
    <td>${c.codec ? `${c.codec.name} ${c.codec.clockRate / 1000} kHz ${c.codec.channels} ch` : DASH}</td>
    <td>${c.answered ? formatDuration(c.durationS) : 'not answered'}</td>
    <td>${c.answerDelayMs !== undefined ? formatMs(c.answerDelayMs, 0) : DASH}</td>
    <td>${formatEndReason(c.endReason)}</td>
    <td>${formatPct(c.quality.lossPct)}</td>
    <td>${formatPct(c.quality.concealedPct)}</td>
    <td>${formatMs(c.quality.maxJitterMs)}</td>
    <td>${formatMs(c.quality.meanBufferMs, 0)} / ${formatMs(c.quality.maxBufferMs, 0)}</td>
    <td>${formatMs(c.quality.rttMs)}</td>
    <td>${c.quality.redials}</td>
  </tr>`;
}
