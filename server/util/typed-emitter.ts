/**
 * A small typed event emitter. A listener that throws is contained and reported through
 * `onListenerError`, never allowed to unwind into the emitter (mediasoup's `safeEmit` idea):
 * a bug in a panel feed must not kill a link.
 *
 * Each event's listeners are an array replaced on every `on`/`off` (copy on write), so `emit`, which
 * runs for every RTP packet, iterates without copying, and a listener added or removed during an emit
 * takes effect from the next one.
 */
export type EventMap = { [event: string]: unknown[] };
type Listener<A extends unknown[]> = (...args: A) => void;

export class TypedEmitter<E extends EventMap> {
  private listeners = new Map<keyof E, readonly Listener<never[]>[]>();
  onListenerError: (event: string, err: unknown) => void = (event, err) => {
    // Last resort; owners normally replace this with their logger.
    console.error(`listener for ${event} threw`, err);
  };

  on<K extends keyof E>(event: K, fn: Listener<E[K]>): () => void {
    const list = this.listeners.get(event) ?? [];
    const l = fn as unknown as Listener<never[]>;
    if (!list.includes(l)) this.listeners.set(event, [...list, l]);
    return () => this.off(event, fn);
  }

  once<K extends keyof E>(event: K, fn: Listener<E[K]>): () => void {
    const off = this.on(event, ((...args: E[K]) => {
      off();
      fn(...args);
    }) as Listener<E[K]>);
    return off;
  }

  off<K extends keyof E>(event: K, fn: Listener<E[K]>): void {
    const list = this.listeners.get(event);
    if (!list) return;
    const rest = list.filter((l) => l !== (fn as unknown as Listener<never[]>));
    if (rest.length === 0) this.listeners.delete(event);
    else if (rest.length !== list.length) this.listeners.set(event, rest);
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const list = this.listeners.get(event);
    if (!list) return;
    for (const fn of list) {
      try {
        (fn as unknown as Listener<E[K]>)(...args);
      } catch (err) {
        this.onListenerError(String(event), err);
      }
    }
  }

  listenerCount(event: keyof E): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  removeAllListeners(): void {
    this.listeners.clear();
  }
}
