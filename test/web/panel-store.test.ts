import { describe, expect, it } from 'vitest';
import type { Alarm, LinkMeters } from '../../web/src/model/api-types.js';
import { PanelStore, parseLiveMessage } from '../../web/src/model/panel-store.js';
import { levelRow } from '../../server/api/live-feed.js';
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

describe('panel store on feed 2 (only what changed)', () => {
  const hello = (...links: ReturnType<typeof snapshot>[]) => ({ type: 'hello' as const, version: '2.0.0', feed: 2, links, registration: null, alarms: [] });

  it('reads levels rows back into the meters the service had, without asking for a re-render', () => {
    const st = new PanelStore();
    expect(st.apply({ type: 'levels', links: [levelRow({ id: 'l1', meters })] }, 100)).toBe(false);
    expect(st.meters.get('l1')).toEqual({ meters, atMs: 100 });
  });

  it('merges a state change patch into the link it names, keeping every other field', () => {
    const st = new PanelStore();
    st.apply(hello(snapshot({ id: 'a', state: 'ringing', remoteName: 'Studio A' })), 0);
    expect(st.apply({ type: 'link-patch', link: { id: 'a', state: 'connected', connectedAt: '2024-05-01T10:00:05.000Z' } }, 10)).toBe(true);
    expect(st.links.get('a')!.snapshot).toEqual(snapshot({ id: 'a', state: 'connected', remoteName: 'Studio A', connectedAt: '2024-05-01T10:00:05.000Z' }));
  });

  it('drops the fields a patch unsets', () => {
    const st = new PanelStore();
    st.apply(hello(snapshot({ id: 'a', connectedAt: '2024-05-01T10:00:05.000Z' })), 0);
    st.apply({ type: 'link-patch', link: { id: 'a', state: 'redialling', unset: ['connectedAt'] } }, 10);
    expect(st.links.get('a')!.snapshot).not.toHaveProperty('connectedAt');
  });

  it('adds a link from its first, whole patch', () => {
    const st = new PanelStore();
    st.apply(hello(), 0);
    const { meters: _m, ...whole } = snapshot({ id: 'n' });
    st.apply({ type: 'link-patch', link: whole }, 10);
    expect(st.links.get('n')!.snapshot).toEqual(snapshot({ id: 'n' }));
    expect(st.takeResyncRequest()).toBe(false);
  });

  it('asks once for a resync when a partial patch names a link it never saw, and forgets the wish on the next hello', () => {
    const st = new PanelStore();
    st.apply(hello(), 0);
    st.apply({ type: 'stats-delta', links: [{ id: 'ghost', durationS: 5 }], removed: [] }, 10);
    expect(st.links.has('ghost')).toBe(false);
    expect(st.takeResyncRequest()).toBe(true);
    expect(st.takeResyncRequest()).toBe(false);
    st.apply({ type: 'link-patch', link: { id: 'ghost', state: 'ended' } }, 20);
    st.apply(hello(snapshot({ id: 'ghost' })), 30);
    expect(st.takeResyncRequest()).toBe(false);
  });

  it('applies a tick’s patches and removals, restarts the duration clock only when the duration came, and feeds every link’s graphs', () => {
    const st = new PanelStore();
    st.apply(hello(snapshot({ id: 'a', durationS: 10 }), snapshot({ id: 'b' }), snapshot({ id: 'c' })), 0, 1_700_000_000_000);
    const changed = st.apply(
      { type: 'stats-delta', links: [{ id: 'a', durationS: 11 }, { id: 'b', rttMs: 40 }], removed: ['c'] },
      1000,
      1_700_000_001_000,
    );
    expect(changed).toBe(true);
    expect([...st.links.keys()]).toEqual(['a', 'b']);
    expect(st.links.get('a')!.receivedAtMs).toBe(1000);
    expect(st.links.get('b')!.receivedAtMs).toBe(0);
    expect(st.links.get('b')!.snapshot.rttMs).toBe(40);
    // Nothing changed: no re-render, but the graphs still get their point for this second.
    expect(st.apply({ type: 'stats-delta', links: [], removed: [] }, 2000, 1_700_000_002_000)).toBe(false);
    expect(st.links.get('b')!.series.rtt.columns()).toEqual([
      [1_700_000_001, 1_700_000_002],
      [40, 40],
    ]);
  });
});
