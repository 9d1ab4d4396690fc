/**
 * The pool's requests to a worker go as one message per turn of the event loop, in order; a request
 * that cannot be copied fails alone; nothing goes to a worker that is gone.
 */
import { describe, expect, it } from 'vitest';
import { WorkerOutbox } from '../../../server/media/worker/worker-outbox.js';
import type { ToWorker } from '../../../server/media/worker/worker-protocol.js';

/** The end of the current turn: the outbox flushes on setImmediate. */
const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const close = (req: number): ToWorker => ({ t: 'close', req, id: req, reason: null });

function fakeWorker(uncloneable: Set<number> = new Set()) {
  const posted: number[][] = [];
  return {
    posted,
    postMessage(batch: ToWorker[]) {
      // structuredClone's refusal, as postMessage throws it (DataCloneError).
      if (batch.some((m) => uncloneable.has(m.req))) throw new Error('could not be cloned');
      posted.push(batch.map((m) => m.req));
    },
  };
}

describe('the outbox of a media worker', () => {
  // [requests per turn, the messages posted (request numbers in each)]
  const rows: [string, number[][], number[][]][] = [
    ['posts the requests of one turn as one message, in order', [[1, 2, 3]], [[1, 2, 3]]],
    ['posts one message per turn', [[1], [2, 3], [4]], [[1], [2, 3], [4]]],
    ['posts nothing in a turn without requests', [[], [1]], [[1]]],
  ];
  for (const [name, turns, expected] of rows) {
    it(name, async () => {
      const w = fakeWorker();
      const out = new WorkerOutbox(w, () => undefined);
      for (const turn of turns) {
        for (const req of turn) out.post(close(req));
        expect(w.posted.flat()).not.toContain(turn[0]);
        await endOfTurn();
      }
      expect(w.posted).toEqual(expected);
    });
  }

  it('fails only the request that cannot be copied and posts the others alone, in order', async () => {
    const w = fakeWorker(new Set([2]));
    const failed: number[] = [];
    const out = new WorkerOutbox(w, (req) => failed.push(req));
    for (const req of [1, 2, 3]) out.post(close(req));
    await endOfTurn();
    expect(w.posted).toEqual([[1], [3]]);
    expect(failed).toEqual([2]);
  });

  it('posts nothing once discarded, queued or new', async () => {
    const w = fakeWorker();
    const out = new WorkerOutbox(w, () => undefined);
    out.post(close(1));
    out.discard();
    out.post(close(2));
    await endOfTurn();
    expect(w.posted).toEqual([]);
  });
});
