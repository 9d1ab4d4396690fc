/**
 * vitest globalSetup: compile the service once before any test file runs (when server/dist is older
 * than the sources), so no test's hook timeout has to absorb a build. See server-build.ts.
 */
import { ensureServerBuilt } from './server-build.js';

export default async function setup(): Promise<void> {
  await ensureServerBuilt();
}
