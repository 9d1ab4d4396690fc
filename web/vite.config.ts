/**
 * Builds the control panel: `npx vite build --config web/vite.config.ts` → web/dist/, which the
 * service serves at `/`. `npx vite --config web/vite.config.ts` runs a dev server that proxies the
 * API (REST and the WebSocket feed) to a service on ACIP_URL (default http://127.0.0.1:8080).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));
const target = process.env.ACIP_URL ?? 'http://127.0.0.1:8080';

export default defineConfig(({ command }) => ({
  root: webRoot,
  // A build is always a production build, even when started from a test runner that sets
  // NODE_ENV=test (otherwise lit's development bundle, with its console warning, gets in).
  resolve: command === 'build' ? { conditions: ['module', 'browser', 'production'] } : {},
  define: command === 'build' ? { 'process.env.NODE_ENV': JSON.stringify('production') } : {},
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      '/api': { target, changeOrigin: false, ws: true },
    },
  },
}));
