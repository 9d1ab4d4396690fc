import { describe, expect, it } from 'vitest';
import { FakeClock, type TimerHandle } from '../../server/util/clock.js';
import { LiveConnection, type LiveState, type SocketLike } from '../../web/src/model/live-connection.js';

class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  closed = false;
  sent: string[] = [];
  close(): void {
    this.closed = true;
  }
  send(data: string): void {
    this.sent.push(data);
  }
}

function harness() {
  const clock = new FakeClock();
  const sockets: FakeSocket[] = [];
  const states: { state: LiveState; retryInMs?: number }[] = [];
  const messages: string[] = [];
  const conn = new LiveConnection({
    url: 'ws://127.0.0.1/api/live',
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    setTimer: (fn, ms) => clock.setTimer(ms, fn),
    clearTimer: (h) => (h as TimerHandle).cancel(),
    onMessage: (t) => messages.push(t),
    onState: (state, info) => states.push({ state, ...(info.retryInMs !== undefined ? { retryInMs: info.retryInMs } : {}) }),
    random: () => 0.5,
  });
  return { clock, sockets, states, messages, conn };
}

describe('live feed connection', () => {
  it('connects, passes text frames on, and says it is live', () => {
    const h = harness();
    h.conn.start();
    expect(h.states.at(-1)!.state).toBe('connecting');
    h.sockets[0]!.onopen!({});
    h.sockets[0]!.onmessage!({ data: '{"type":"hello"}' });
    h.sockets[0]!.onmessage!({ data: new Uint8Array(2) });
    expect(h.conn.state).toBe('open');
    expect(h.messages).toEqual(['{"type":"hello"}']);
  });

  it('reconnects with growing delays while the service is away and resets them once back', () => {
    const h = harness();
    h.conn.start();
    h.sockets[0]!.onopen!({});
    h.sockets[0]!.onclose!({ code: 1006 });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const wait = h.states.at(-1)!;
      expect(wait.state).toBe('reconnecting');
      delays.push(wait.retryInMs!);
      h.clock.advance(wait.retryInMs! - 1);
      expect(h.sockets).toHaveLength(i + 1); // not yet
      h.clock.advance(1);
      expect(h.sockets).toHaveLength(i + 2);
      h.sockets[i + 1]!.onclose!({ code: 1006 });
    }
    expect(delays).toEqual([500, 1000, 2000, 4000]);
    // The service comes back: the next failure starts again from the base delay.
    h.clock.advance(h.states.at(-1)!.retryInMs!);
    h.sockets.at(-1)!.onopen!({});
    expect(h.conn.state).toBe('open');
    h.sockets.at(-1)!.onclose!({ code: 1001 });
    expect(h.states.at(-1)!.retryInMs).toBe(500);
  });

  it('stops for good when stopped: no timers fire and the socket is closed', () => {
    const h = harness();
    h.conn.start();
    h.sockets[0]!.onclose!({ code: 1006 });
    h.conn.stop();
    h.clock.advance(60_000);
    expect(h.sockets).toHaveLength(1);
    expect(h.conn.state).toBe('closed');
    h.conn.start();
    h.conn.stop();
    expect(h.sockets[1]!.closed).toBe(true);
  });

  it('ignores events from a socket it has already replaced', () => {
    const h = harness();
    h.conn.start();
    const first = h.sockets[0]!;
    const onclose = first.onclose!;
    h.conn.reconnectNow();
    expect(h.sockets).toHaveLength(2);
    onclose({ code: 1006 });
    expect(h.conn.state).toBe('connecting'); // the new socket is still connecting; no retry was scheduled
    h.clock.advance(60_000);
    expect(h.sockets).toHaveLength(2);
  });

  it('sends a frame to the service only while the socket is open', () => {
    const h = harness();
    expect(h.conn.send('{"type":"resync"}')).toBe(false);
    h.conn.start();
    expect(h.conn.send('{"type":"resync"}')).toBe(false);
    h.sockets[0]!.onopen!({});
    expect(h.conn.send('{"type":"resync"}')).toBe(true);
    h.sockets[0]!.onclose!({ code: 1006 });
    expect(h.conn.send('{"type":"resync"}')).toBe(false);
    expect(h.sockets[0]!.sent).toEqual(['{"type":"resync"}']);
  });
});
