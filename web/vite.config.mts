/**
 * The dashboard's build: `npm run build` runs `vite build --config web/vite.config.mts`
 * from the repository root, writing a static bundle to build/web, which the server
 * serves at /dashboard/ (src/http/dashboard.ts). `npm run dashboard:dev` serves it with
 * hot reload, proxying the API to a running `npm start` (GAFFER_URL, default :8080).
 */
import {defineConfig} from 'vite';

const api = process.env.GAFFER_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: 'web',
  base: '/dashboard/',
  publicDir: 'public',
  oxc: {jsx: {runtime: 'automatic', importSource: 'preact'}},
  build: {
    outDir: '../build/web',
    emptyOutDir: true,
    target: 'es2022',
    // Not shipped: the bundle stays small and nothing references them.
    sourcemap: false,
    // One small chunk: nothing is worth splitting at this size.
    modulePreload: {polyfill: false},
    reportCompressedSize: true,
  },
  server: {
    host: '127.0.0.1',
    proxy: Object.fromEntries(['/v2alpha1', '/v2beta', '/v1b3', '/batch'].map(prefix => [prefix, api])),
  },
});
