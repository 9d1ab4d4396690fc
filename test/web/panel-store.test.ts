import { describe, expect, it } from 'vitest';
import type { Alarm, LinkMeters } from '../../web/src/model/api-types.js';
import { PanelStore, parseLiveMessage } from '../../web/src/model/panel-store.js';
import { snapshot } from './snapshots.js';

const meters: LinkMeters = { input: { peak: [-18, -18], rms: [-21, -21], clips: 0 }, output: { peak: [null, null], rms: [null, null], clips: 0 } };
const alarm: Alarm = { id: 'a1', kind: 'loss', linkId: 'l1', message: 'loss 5 %', raisedAt: '2024-05-01T10:00:00Z', acknowledged: false };

describe('panel store', () => {
  it('takes the full state from hello and drops links the service no longer has', () => {
    const st = new PanelStore();
    st.apply({ type: 'link', link: snapshot({ id: 'old' }) }, 0);
    st.apply({ type: 'hello', version: '1.2.3', links: [snapshot({ id: 'a' }), snapshot({ id: 'b' })], registration: null, alarms: [alarm] }, 10);
    expect([...st.links.keys()].sort()).toEqual(['a', 'b']);
    expect(st.version).toBe('1.2.3');
    expect(st.alarms).toHaveLength(1);
  });

  it('keeps a link’s graph history across a reconnect', () => {
    const st = new PanelStore();
    st.apply({ type: 'stats', links: [snapshot({ id: 'a' })] }, 0, 1000);
    const series = st.links.get('a')!.series;
    st.apply({ type: 'hello', version: '1', links: [snapshot({ id: 'a' })], registration: null, alarms: [] }, 5, 2000);
    expect(st.links.get('a')!.series).toBe(series);
    expect(series.buffer.length).toBe(1);
  });

  it('updates a card on each state change and removes it on link-removed', () => {
    const st = new PanelStore();
    expect(st.apply({ type: 'link', link: snapshot({ state: 'dialling' }) }, 0)).toBe(true);
    st.apply({ type: 'link', link: snapshot({ state: 'ringing' }) }, 1);
    expect(st.links.get('l1')!.snapshot.state).toBe('ringing');
    st.apply({ type: 'link-removed', id: 'l1' }, 2);
    expect(st.links.size).toBe(0);
  });

  it('stores meter readings without asking for a re-render', () => {
    const st = new PanelStore();
    st.apply({ type: 'link', link: snapshot() }, 0);
    const rev = st.revision;
    expect(st.apply({ type: 'meters', meters: [{ id: 'l1', meters }] }, 100)).toBe(false);
    expect(st.revision).toBe(rev);
    expect(st.meters.get('l1')).toEqual({ meters, atMs: 100 });
  });

  it('feeds the graphs from stats messages stamped with wall time', () => {
    const st = new PanelStore();
    st.apply({ type: 'stats', links: [snapshot()] }, 5, 1_700_000_000_000);
    st.apply({ type: 'stats', links: [snapshot()] }, 1005, 1_700_000_001_000);
    expect(st.links.get('l1')!.series.buffer.columns()[0]).toEqual([1_700_000_000, 1_700_000_001]);
  });

  it('replaces an alarm with the same id and counts the unacknowledged ones', () => {
    const st = new PanelStore();
    st.apply({ type: 'alarm', alarm }, 0);
    expect(st.unacknowledgedCount()).toBe(1);
    st.apply({ type: 'alarm', alarm: { ...alarm, clearedAt: '2024-05-01T10:01:00Z' } }, 1);
    expect(st.alarms).toHaveLength(1);
    expect(st.unacknowledgedCount()).toBe(0);
    st.apply({ type: 'alarm', alarm: { ...alarm, id: 'a2' } }, 2);
    st.markAcknowledged('a2');
    expect(st.unacknowledgedCount()).toBe(0);
  });

  it('orders the board: offered calls first, then failed, then connected, then ended', () => {
    const st = new PanelStore();
    for (const [id, state] of [
      ['e', 'ended'],
      ['c', 'connected'],
      ['f', 'failed'],
      ['o', 'offered'],
    ] as const)
      st.apply({ type: 'link', link: snapshot({ id, state }) }, 0);
    expect(st.boardLinks().map((e) => e.snapshot.id)).toEqual(['o', 'f', 'c', 'e']);
    expect(st.offeredLinks().map((l) => l.id)).toEqual(['o']);
  });

  it('ignores message types it does not know and frames that are not JSON objects', () => {
    const st = new PanelStore();
    expect(st.apply({ type: 'future-thing' } as never, 0)).toBe(false);
    expect(parseLiveMessage('not json')).toBeNull();
    expect(parseLiveMessage('[1,2]')).toBeNull();
    expect(parseLiveMessage('{"type":"link-removed","id":"x"}')).toEqual({ type: 'link-removed', id: 'x' });
  });
});
