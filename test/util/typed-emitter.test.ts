import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../server/util/typed-emitter.js';

type Events = { tick: [n: number] };

describe('TypedEmitter', () => {
  it('calls each listener once per emit, in the order they were added, and a listener added twice once', () => {
    const e = new TypedEmitter<Events>();
    const seen: string[] = [];
    const a = (n: number) => seen.push(`a${n}`);
    e.on('tick', a);
    e.on('tick', a);
    e.on('tick', (n) => seen.push(`b${n}`));
    e.emit('tick', 1);
    expect(seen).toEqual(['a1', 'b1']);
    expect(e.listenerCount('tick')).toBe(2);
  });

  it('applies a listener added or removed during an emit from the next emit on', () => {
    const e = new TypedEmitter<Events>();
    const seen: string[] = [];
    const late = (n: number) => seen.push(`late${n}`);
    let offB = () => {};
    e.on('tick', (n) => {
      seen.push(`a${n}`);
      offB();
      e.on('tick', late);
    });
    offB = e.on('tick', (n) => seen.push(`b${n}`));
    e.emit('tick', 1);
    e.emit('tick', 2);
    expect(seen).toEqual(['a1', 'b1', 'a2', 'late2']);
  });

  it('runs once listeners once and forgets removed ones', () => {
    const e = new TypedEmitter<Events>();
    const seen: number[] = [];
    e.once('tick', (n) => seen.push(n));
    const off = e.on('tick', (n) => seen.push(n * 10));
    e.emit('tick', 1);
    off();
    e.emit('tick', 2);
    expect(seen).toEqual([1, 10]);
    expect(e.listenerCount('tick')).toBe(0);
  });

  it('contains a throwing listener and still calls the others', () => {
    const e = new TypedEmitter<Events>();
    const errors: string[] = [];
    e.onListenerError = (event, err) => errors.push(`${event}: ${(err as Error).message}`);
    const seen: number[] = [];
    e.on('tick', () => {
      throw new Error('boom');
    });
    e.on('tick', (n) => seen.push(n));
    e.emit('tick', 3);
    expect(errors).toEqual(['tick: boom']);
    expect(seen).toEqual([3]);
  });
});
