/**
 * Builds the control panel: `npx vite build --config web/vite.config.ts` → web/dist/, which the
 * service serves at `/`. `npx vite --config web/vite.config.ts` runs a dev server that proxies the
 * API (REST and the WebSocket feed) to a service on ACIP_URL (default http://127.0.0.1:8080).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));
const target = process.env.ACIP_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: webRoot,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      '/api': { target, changeOrigin: false, ws: true },
    },
  },
});
