/**
 * What loss recovery did on a link: which tools run (RED, NACK/RTX, a second path), what each brought
 * back, what was still lost, and each path's own loss and jitter. Nothing for a link without recovery.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { LinkSnapshot } from '../../model/api-types.js';
import { formatMs, formatPct } from '../../model/format.js';

type Recovery = NonNullable<LinkSnapshot['recovery']>;

/** The tools a link runs, in words ("RED + RTX"), or null when none. */
export function recoveryTools(r: Recovery): string | null {
  const tools = [r.red ? 'RED' : null, r.rtx ? 'RTX' : null, r.duplicate ? 'dual path' : null].filter((t): t is string => t !== null);
  return tools.length ? tools.join(' + ') : null;
}

/** "recovered: RED 12 · RTX 3 · path 40 · still lost 1", only the tools that run. */
export function recoverySummary(r: Recovery): string {
  const parts = [r.red ? `RED ${r.recoveredByRed}` : null, r.rtx ? `RTX ${r.recoveredByRtx}` : null, r.duplicate ? `other path ${r.recoveredByPath}` : null];
  return `recovered ${parts.filter((p) => p !== null).join(' · ')} · still lost ${r.stillLost}`;
}

/** "NACKed 5, resent 3 (+6 copies) (2 repeated requests not answered again)": the NACK/RTX traffic, zeros left out. */
export function nackSummary(r: Recovery): string {
  const copies = r.rtxCopies > 0 ? ` (+${r.rtxCopies} ${r.rtxCopies === 1 ? 'copy' : 'copies'})` : '';
  const suppressed = r.rtxSuppressed > 0 ? ` (${r.rtxSuppressed} repeated requests not answered again)` : '';
  return `NACKed ${r.nackRequests}, resent ${r.rtxSent}${copies}${suppressed}`;
}

export function recoveryFacts(l: LinkSnapshot): TemplateResult | typeof nothing {
  const r = l.recovery;
  if (!r) return nothing;
  const tools = recoveryTools(r);
  if (!tools) return nothing;
  return html`<div class="recovery">
      <dt>Loss recovery</dt>
      <dd>${tools}: ${recoverySummary(r)}${r.rtx ? ` · ${nackSummary(r)}` : ''}</dd>
    </div>
    ${(r.paths ?? []).map(
      (p, i) =>
        html`<div class="recovery-path"><dt>Path ${i + 1}</dt><dd>${p.remote ?? 'learning'} · loss ${formatPct(p.lossPct)} · jitter ${formatMs(p.jitterMs)}${pathDelay(p.relativeDelayMs)} · ${p.received} received</dd></div>`,
    )}`;
}

/** " · 12 ms later than the other path" (or earlier); nothing until a packet came over both paths. */
export function pathDelay(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  const abs = Math.abs(ms);
  if (abs < 0.5) return ' · delay as the other path';
  return ` · ${formatMs(abs, abs < 10 ? 1 : 0)} ${ms > 0 ? 'later' : 'earlier'} than the other path`;
}
