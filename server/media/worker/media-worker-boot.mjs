// Worker-thread entry for MediaWorkerPool. Node 20 does not pass the main thread's module hooks
// (`node --import tsx`) to worker threads, and `new Worker(url, { execArgv: ['--import', 'tsx'] })`
// fails here with ERR_UNKNOWN_FILE_EXTENSION (checked on Node 20.20): the worker registers tsx itself
// before importing the TypeScript entry. A compiled (.js) entry is imported as is.
import { workerData } from 'node:worker_threads';

const entry = workerData.entry;
if (entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry);
