import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
// The Fastify server (npm start) listens on 8080 by default; the dev server proxies the API to it.
const backend = process.env.SCHOOLGATE_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/oidc': { target: backend, changeOrigin: false },
      // The sign-in page /signin/<uid> is this app's (React route); everything below it is the
      // server's: the JSON steps (/signin/<uid>/state, /school, /login, /consent …), the upstream
      // IdP redirect (/signin/<uid>/upstream) and its callback (/signin/upstream/callback).
      '^/signin/[^/]+/.+': { target: backend, changeOrigin: false },
      '/ss12000': { target: backend, changeOrigin: false },
    },
  },
});
