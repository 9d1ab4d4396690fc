import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Builds server/dist once before any test starts the service as npm start does.
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: ['default'],
  },
});
