import { fileURLToPath } from 'node:url';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** Where the api listens during development (`npm run dev -w api`). */
const apiTarget = process.env.DANGUS_API_URL ?? 'http://127.0.0.1:3000';

// The api serves ui/dist from the same origin in the embedded default, so the
// dev server proxies every api path: cookies and the Origin check then behave
// as they do in production.
const proxied = ['/api', '/auth', '/webhooks', '/healthz'];

export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: {
    // Compile the shared workspace from source: no stale common/dist in dev.
    alias: { '@dangus/common': fileURLToPath(new URL('../common/src/index.ts', import.meta.url)) },
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: Object.fromEntries(
      proxied.map((path) => [path, { target: apiTarget, changeOrigin: false }]),
    ),
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
});
