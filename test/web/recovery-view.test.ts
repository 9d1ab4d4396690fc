import { describe, expect, it } from 'vitest';
import type { LinkSnapshot } from '../../web/src/model/api-types.js';
import { nackSummary, pathDelay, recoveryFacts, recoverySummary, recoveryTools } from '../../web/src/ui/views/recovery-view.js';
import { renderTemplate, textOf } from './render-template.js';
import { snapshot } from './snapshots.js';

type Recovery = NonNullable<LinkSnapshot['recovery']>;
const rec = (over: Partial<Recovery>): Recovery => ({
  red: false,
  rtx: false,
  duplicate: false,
  recoveredByRed: 0,
  recoveredByRtx: 0,
  recoveredByPath: 0,
  stillLost: 0,
  nackRequests: 0,
  rtxSent: 0,
  rtxSuppressed: 0,
  rtxCopies: 0,
  ...over,
});

describe('what loss recovery did on a link', () => {
  it.each([
    { r: rec({ red: true, recoveredByRed: 12, stillLost: 1 }), tools: 'RED', summary: 'recovered RED 12 · still lost 1' },
    { r: rec({ red: true, rtx: true, recoveredByRed: 4, recoveredByRtx: 3 }), tools: 'RED + RTX', summary: 'recovered RED 4 · RTX 3 · still lost 0' },
    { r: rec({ duplicate: true, recoveredByPath: 40 }), tools: 'dual path', summary: 'recovered other path 40 · still lost 0' },
    { r: rec({}), tools: null, summary: 'recovered  · still lost 0' },
  ])('names the tools that run ($tools) and what each recovered', ({ r, tools, summary }) => {
    expect(recoveryTools(r)).toBe(tools);
    expect(recoverySummary(r)).toBe(summary);
  });

  it('shows the NACK traffic and each path of a duplicated stream in the card', () => {
    const r = rec({
      rtx: true,
      duplicate: true,
      recoveredByRtx: 2,
      recoveredByPath: 9,
      nackRequests: 5,
      rtxSent: 1,
      rtxSuppressed: 2,
      paths: [
        { received: 990, lost: 10, lossPct: 1, jitterMs: 2.5, relativeDelayMs: -12.4, remote: '192.0.2.1:5004' },
        { received: 1000, lost: 0, lossPct: 0, jitterMs: 3, relativeDelayMs: null, remote: null },
      ],
    });
    const text = textOf(renderTemplate(recoveryFacts(snapshot({ recovery: r }))).html).replace(/\s+/g, ' ');
    expect(text).toContain('Loss recovery RTX + dual path: recovered RTX 2 · other path 9 · still lost 0 · NACKed 5, resent 1 (2 repeated requests not answered again)');
    expect(text).toContain('Path 1 192.0.2.1:5004 · loss 1.00 % · jitter 2.5 ms · 12 ms earlier than the other path · 990 received');
    expect(text).toContain('Path 2 learning');
  });

  it.each([
    { r: rec({ rtx: true, nackRequests: 5, rtxSent: 3 }), text: 'NACKed 5, resent 3' },
    { r: rec({ rtx: true, nackRequests: 5, rtxSent: 3, rtxCopies: 1 }), text: 'NACKed 5, resent 3 (+1 copy)' },
    { r: rec({ rtx: true, nackRequests: 5, rtxSent: 3, rtxCopies: 6 }), text: 'NACKed 5, resent 3 (+6 copies)' },
    { r: rec({ rtx: true, nackRequests: 5, rtxSent: 3, rtxCopies: 6, rtxSuppressed: 2 }), text: 'NACKed 5, resent 3 (+6 copies) (2 repeated requests not answered again)' },
  ])('sums up the NACK traffic as "$text", copies of early retransmissions apart', ({ r, text }) => {
    expect(nackSummary(r)).toBe(text);
  });

  it.each([
    { ms: null, text: '' },
    { ms: 0.3, text: ' · delay as the other path' },
    { ms: 4.25, text: ' · 4.3 ms later than the other path' },
    { ms: -37.6, text: ' · 38 ms earlier than the other path' },
  ])('states a path delay of $ms ms against the other path as "$text"', ({ ms, text }) => {
    expect(pathDelay(ms)).toBe(text);
  });

  it('shows nothing for a link without recovery', () => {
    expect(textOf(renderTemplate(recoveryFacts(snapshot({}))).html).trim()).toBe('');
    expect(textOf(renderTemplate(recoveryFacts(snapshot({ recovery: rec({}) }))).html).trim()).toBe('');
  });
});
