/**
 * The panel's frame around the views: the status bar (connection to the service, SIP registration,
 * link count, listening addresses, version, role and log-out), the section navigation, the incoming
 * call prompts, the notice line, and the login form in place of all of it while a password is needed.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { DASH } from '../model/format.js';
import { submittedForm } from './event-values.js';
import { VIEWS, canControl, type PanelActions, type PanelState } from './panel-state.js';
import { alarmsView } from './views/alarms-view.js';
import { historyView } from './views/history-view.js';
import { linksView } from './views/links-view.js';
import { phonebookView } from './views/phonebook-view.js';
import { profilesView } from './views/profiles-view.js';

/** The whole page for the current state. */
export function panelTemplate(s: PanelState, a: PanelActions): TemplateResult {
  return html`
    ${statusBar(s, a)}
    ${s.needLogin
      ? loginView(s, a)
      : html`
          ${navBar(s, a)} ${offeredPrompts(s, a)}
          <div class="notice-area">
            ${s.notice
              ? html`<p class="notice ${s.notice.kind}" role=${s.notice.kind === 'error' ? 'alert' : 'status'}>
                  <span>${s.notice.text}</span>
                  <button type="button" class="small" aria-label="Dismiss message" @click=${() => a.dismissNotice()}>×</button>
                </p>`
              : nothing}
          </div>
          <main>${viewTemplate(s, a)}</main>
        `}
  `;
}

function viewTemplate(s: PanelState, a: PanelActions): TemplateResult {
  switch (s.view) {
    case 'links':
      return linksView(s, a);
    case 'phonebook':
      return phonebookView(s, a);
    case 'history':
      return historyView(s, a);
    case 'profiles':
      return profilesView(s);
    case 'alarms':
      return alarmsView(s, a);
  }
}

/** The connection to the service as words: "Live", or how long until the next attempt. */
function liveWord(s: PanelState): string {
  switch (s.liveState) {
    case 'open':
      return 'Live';
    case 'connecting':
      return 'Connecting to service…';
    case 'closed':
      return 'Not connected';
    case 'reconnecting':
      return `Service unreachable — reconnecting${s.retryAtMs !== null ? ` in ${Math.max(0, Math.ceil((s.retryAtMs - s.nowMs) / 1000))} s` : '…'}`;
  }
}

export function statusBar(s: PanelState, a: PanelActions): TemplateResult {
  const version = s.status?.version ?? s.health?.version ?? s.store.version;
  const listening = s.status?.listening ?? s.health?.listening;
  const reg = s.store.registration ?? s.status?.registration ?? null;
  const links = [...s.store.links.values()];
  const connected = links.filter((e) => e.snapshot.state === 'connected').length;
  const liveTone = s.liveState === 'open' ? 'ok' : s.liveState === 'reconnecting' ? 'bad' : 'warn';
  const regTone = !reg ? 'off' : reg.state === 'registered' ? 'ok' : reg.state === 'failed' ? 'bad' : 'warn';
  return html`
    <header class="statusbar" role="banner">
      <h1>acip</h1>
      <span class="stat" aria-label="Connection to the service"><span class="dot tone-${liveTone}" aria-hidden="true"></span><span class="conn">${liveWord(s)}</span></span>
      <span class="stat" aria-label="SIP registration" title=${reg?.lastError ?? ''}>
        <span class="dot tone-${regTone}" aria-hidden="true"></span>
        ${reg ? html`Registration: ${reg.state} ${reg.aor}` : html`Registration: none configured`}
      </span>
      <span class="stat" aria-label="Links">Links: ${links.length}${links.length ? html` (${connected} connected)` : nothing}</span>
      <span class="stat listening" aria-label="Listening addresses">
        ${listening ? html`SIP ${listening.sip.length ? listening.sip.join(', ') : DASH} · HTTP ${listening.http ?? DASH}` : DASH}
      </span>
      <span class="stat" aria-label="Version">${version ? `acip ${version}` : DASH}</span>
      ${s.role && s.role !== 'open'
        ? html`<span class="stat role">${s.role === 'viewer' ? 'Viewer (watch only)' : 'Admin'}</span>
            <button type="button" class="small" @click=${() => a.logout()}>Log out</button>`
        : nothing}
    </header>
  `;
}

function navBar(s: PanelState, a: PanelActions): TemplateResult {
  const unack = s.store.unacknowledgedCount();
  return html`
    <nav aria-label="Sections">
      ${VIEWS.map(
        (v) => html`<a href="#${v.id}" aria-current=${s.view === v.id ? 'page' : 'false'} @click=${(ev: Event) => (ev.preventDefault(), a.go(v.id))}
          >${v.label}${v.id === 'alarms' && unack ? html` <span class="badge" aria-label="${unack} unacknowledged">${unack}</span>` : nothing}</a
        >`,
      )}
    </nav>
  `;
}

export function loginView(s: PanelState, a: PanelActions): TemplateResult {
  const submit = async (ev: Event) => {
    ev.preventDefault();
    const form = submittedForm(ev);
    if (await a.login(form.field('password'))) form.reset();
  };
  return html`
    <main class="login">
      <form @submit=${(ev: Event) => void submit(ev)} aria-labelledby="login-heading">
        <h2 id="login-heading">Log in to acip</h2>
        <p>This acip service requires a password.</p>
        <input type="text" name="username" autocomplete="username" value="acip" hidden />
        <label for="login-password">Password</label>
        <input id="login-password" name="password" type="password" autocomplete="current-password" required autofocus />
        ${s.loginError ? html`<p class="field-error" role="alert">${s.loginError}</p>` : nothing}
        <button type="submit" class="primary">Log in</button>
      </form>
    </main>
  `;
}

/** Calls waiting to be answered, above every view: Answer/Reject for operators, a note for viewers. */
export function offeredPrompts(s: PanelState, a: PanelActions): TemplateResult | typeof nothing {
  const offered = s.store.offeredLinks();
  if (!offered.length) return nothing;
  return html`
    <section class="prompts" aria-label="Incoming calls">
      ${offered.map((l) => {
        const who = l.remoteName ? `${l.remoteName} <${l.remote}>` : l.remote;
        const busy = s.busy.has(`answer:${l.id}`);
        return html`
          <div class="prompt" role="group" aria-label="Incoming call from ${who}">
            <p role="alert"><strong>Incoming call</strong> from <span class="caller">${who}</span> · profile ${l.profile}</p>
            ${canControl(s)
              ? html`<button type="button" class="primary" ?disabled=${busy} @click=${() => a.answer(l.id, true)}>Answer</button>
                  <button type="button" class="danger" ?disabled=${busy} @click=${() => a.answer(l.id, false)}>Reject</button>`
              : html`<p>Waiting for an operator to answer.</p>`}
          </div>
        `;
      })}
    </section>
  `;
}
