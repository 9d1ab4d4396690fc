import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The call-flood soak loads both cores for minutes and would starve the real-time audio tests
    // running beside it, so it runs alone: `npm run test:soak` (see the README).
    exclude: process.env.ACIP_SOAK === '1' ? [] : ['test/interop/soak.test.ts', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Builds server/dist once before any test starts the service as npm start does.
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: ['default'],
  },
});
