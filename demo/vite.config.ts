/**
 * The demo is a static bundle: `vite build` writes `demo/dist`, which any static server can serve as
 * long as it also serves `config.json` beside `index.html` (see README.md in this folder).
 */
import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs, so the bundle works from any path (the launcher, the e2e test's server).
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
