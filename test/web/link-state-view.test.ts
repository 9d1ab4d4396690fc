import { describe, expect, it } from 'vitest';
import { LINK_STATES } from '../../server/links/link-state.js';
import { boardRank, stateView } from '../../web/src/model/link-state-view.js';

describe('link state on the board', () => {
  it('gives every link state a word and a colour tone, never colour alone', () => {
    const words = new Set<string>();
    for (const s of LINK_STATES) {
      const v = stateView(s);
      expect(v.word.length).toBeGreaterThan(0);
      expect(['ok', 'progress', 'warn', 'bad', 'off']).toContain(v.tone);
      words.add(v.word);
    }
    expect(words.size).toBe(LINK_STATES.length);
  });

  it('says "Connecting", "Ringing" and "Connected" as a call comes up, and "Failed" in red', () => {
    expect(stateView('dialling')).toMatchObject({ word: 'Connecting', tone: 'progress' });
    expect(stateView('ringing')).toMatchObject({ word: 'Ringing', tone: 'progress' });
    expect(stateView('connected')).toMatchObject({ word: 'Connected', tone: 'ok' });
    expect(stateView('failed')).toMatchObject({ word: 'Failed', tone: 'bad' });
  });

  it('offers hang-up only while the link holds or seeks a call', () => {
    expect(LINK_STATES.filter((s) => stateView(s).active).sort()).toEqual(['connected', 'dialling', 'idle', 'offered', 'redialling', 'ringing']);
  });

  it('shows a state from a newer service as its own name rather than nothing', () => {
    expect(stateView('on-hold')).toMatchObject({ word: 'on-hold', tone: 'warn' });
  });

  it('puts calls waiting for an answer first and finished links last', () => {
    const sorted = [...LINK_STATES].sort((a, b) => boardRank(a) - boardRank(b));
    expect(sorted[0]).toBe('offered');
    expect(boardRank('failed')).toBeLessThan(boardRank('connected'));
    expect(boardRank('connected')).toBeLessThan(boardRank('ended'));
  });
});
