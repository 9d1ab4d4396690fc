import { describe, expect, it } from 'vitest';
import type { Alarm } from '../../web/src/model/api-types.js';
import { effectiveBoardMode, isFiltering, linkProblems, parseBoardMode, type BoardMode } from '../../web/src/model/link-filter.js';
import { rxStats, snapshot } from './snapshots.js';

const alarm = (over: Partial<Alarm>): Alarm => ({ id: 'a', kind: 'loss', linkId: 'l1', message: 'm', raisedAt: '2024-05-01T10:00:00Z', acknowledged: false, ...over });

describe('link problems', () => {
  it.each([
    { what: 'a healthy connected link', link: snapshot(), alarms: [], problems: [] },
    { what: 'loss just under the threshold', link: snapshot({ rx: rxStats({ lossPct: 0.49 }) }), alarms: [], problems: [] },
    { what: 'loss at the threshold', link: snapshot({ rx: rxStats({ lossPct: 0.5 }) }), alarms: [], problems: ['loss 0.5 %'] },
    { what: 'concealment above the threshold', link: snapshot({ rx: rxStats({ concealedPct: 3.25 }) }), alarms: [], problems: ['concealed 3.3 %'] },
    { what: 'an active alarm, even acknowledged', link: snapshot(), alarms: [alarm({ acknowledged: true })], problems: ['alarm'] },
    { what: 'a cleared alarm', link: snapshot(), alarms: [alarm({ clearedAt: '2024-05-01T10:01:00Z' })], problems: [] },
    { what: 'another link’s alarm', link: snapshot(), alarms: [alarm({ linkId: 'l2' })], problems: [] },
    { what: 'a failed link', link: snapshot({ state: 'failed', rx: null }), alarms: [], problems: ['failed'] },
    { what: 'a redialling link', link: snapshot({ state: 'redialling', rx: null }), alarms: [], problems: ['redialling'] },
  ])('finds $problems on $what', ({ link, alarms, problems }) => {
    expect(linkProblems(link, alarms)).toEqual(problems);
  });
});

describe('board layout', () => {
  it.each([
    ['auto', 0, 'cards'],
    ['auto', 8, 'cards'],
    ['auto', 9, 'compact'],
    ['auto', 120, 'compact'],
    ['cards', 120, 'cards'],
    ['compact', 1, 'compact'],
  ] as [BoardMode, number, string][])('in %s layout with %i links is %s', (mode, n, shown) => {
    expect(effectiveBoardMode(mode, n)).toBe(shown);
  });

  it.each([
    ['compact', 'compact'],
    ['cards', 'cards'],
    ['auto', 'auto'],
    [null, 'auto'],
    ['bogus', 'auto'],
  ])('reads the remembered layout %s as %s', (stored, mode) => {
    expect(parseBoardMode(stored)).toBe(mode);
  });

  it('counts blank text as no filter', () => {
    expect(isFiltering({ text: '  ', state: 'all', problemsOnly: false })).toBe(false);
    expect(isFiltering({ text: '', state: 'ended', problemsOnly: false })).toBe(true);
  });
});
