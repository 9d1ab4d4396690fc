/**
 * The live feed (WebSocket `/api/live`) with automatic reconnection. DOM-free: the socket factory
 * and the timer functions are injected, so the unit tests drive it with a fake socket and fake time.
 *
 * States: 'connecting' (first attempt), 'open', 'reconnecting' (the service is away; we retry with
 * capped exponential backoff), 'closed' (stopped by us). A successful open resets the backoff; the
 * service's 'hello' then gives the full state again.
 */
import { DEFAULT_BACKOFF, reconnectDelayMs, type BackoffOptions } from './backoff.js';

export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The slice of the browser WebSocket that we use. */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
  send?(data: string): void;
}

export interface LiveConnectionOptions {
  url: string;
  createSocket: (url: string) => SocketLike;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
  onMessage: (text: string) => void;
  /** Called on every state change; `retryInMs` is set while waiting to reconnect. */
  onState: (state: LiveState, info: { attempt: number; retryInMs?: number; closeCode?: number }) => void;
  backoff?: BackoffOptions;
  random?: () => number;
}

export class LiveConnection {
  private socket: SocketLike | null = null;
  private timer: unknown = null;
  private attempt = 0;
  private stopped = false;
  private everOpened = false;
  state: LiveState = 'closed';

  constructor(private readonly o: LiveConnectionOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Idempotent. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.o.clearTimer(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = s.onmessage = s.onerror = s.onopen = null;
      try {
        s.close(1000, 'panel closed');
      } catch {
        /* already closed */
      }
    }
    this.setState('closed', {});
  }

  /** Send one frame to the service while open; false when there is no open socket to send on. */
  send(text: string): boolean {
    const s = this.socket;
    if (this.state !== 'open' || !s?.send) return false;
    try {
      s.send(text);
      return true;
    } catch {
      return false; // closing: the close event brings a reconnect, and with it the full state
    }
  }

  /** Drop the current socket and reconnect now (e.g. after logging in). */
  reconnectNow(): void {
    this.stop();
    this.attempt = 0;
    this.start();
  }

  private setState(state: LiveState, info: { retryInMs?: number; closeCode?: number }): void {
    this.state = state;
    this.o.onState(state, { attempt: this.attempt, ...info });
  }

  private connect(): void {
    if (this.stopped) return;
    this.timer = null;
    this.setState(this.everOpened || this.attempt > 0 ? 'reconnecting' : 'connecting', {});
    let s: SocketLike;
    try {
      s = this.o.createSocket(this.o.url);
    } catch {
      this.scheduleRetry(undefined);
      return;
    }
    this.socket = s;
    s.onopen = () => {
      if (this.socket !== s) return;
      this.attempt = 0;
      this.everOpened = true;
      this.setState('open', {});
    };
    s.onmessage = (ev) => {
      if (this.socket !== s) return;
      if (typeof ev.data === 'string') this.o.onMessage(ev.data);
    };
    s.onerror = () => {
      /* a close event always follows */
    };
    s.onclose = (ev) => {
      if (this.socket !== s) return;
      this.socket = null;
      this.scheduleRetry(ev?.code);
    };
  }

  private scheduleRetry(closeCode: number | undefined): void {
    if (this.stopped) return;
    const delay = reconnectDelayMs(this.attempt, this.o.backoff ?? DEFAULT_BACKOFF, this.o.random);
    this.attempt++;
    this.setState('reconnecting', { retryInMs: delay, ...(closeCode !== undefined ? { closeCode } : {}) });
    this.timer = this.o.setTimer(() => this.connect(), delay);
  }
}
