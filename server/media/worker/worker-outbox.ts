/**
 * The pool's requests to one worker, batched per turn of the main thread's event loop: the requests
 * queued in one turn (the opens, updates and closes of the calls whose SIP messages it read) go as
 * ONE message once the turn's I/O callbacks have run, as the worker batches its replies. A postMessage
 * has a fixed cost on both threads and wakes the worker once per message, whatever it carries.
 */
import type { Worker } from 'node:worker_threads';
import type { ToWorker, ToWorkerBatch } from './worker-protocol.js';

export class WorkerOutbox {
  private batch: ToWorkerBatch | null = null;
  private discarded = false;

  /** `onPostError`: a request that could not be posted (not cloneable), to be failed by its sender. */
  constructor(
    private readonly worker: Pick<Worker, 'postMessage'>,
    private readonly onPostError: (req: number, err: Error) => void,
  ) {}

  post(msg: ToWorker): void {
    if (this.discarded) return;
    if (this.batch) {
      this.batch.push(msg);
      return;
    }
    this.batch = [msg];
    setImmediate(() => this.flush());
  }

  /** The worker is gone (its pending requests are failed by the pool): nothing more is posted. */
  discard(): void {
    this.discarded = true;
    this.batch = null;
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = null;
    if (!batch || this.discarded) return;
    try {
      this.worker.postMessage(batch);
    } catch {
      // One request that cannot be copied must not fail the others: each goes alone.
      for (const m of batch) {
        try {
          this.worker.postMessage([m]);
        } catch (e) {
          this.onPostError(m.req, e instanceof Error ? e : new Error(String(e)));
        }
      }
    }
  }
}
