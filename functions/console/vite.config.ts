/**
 * Build of the jobx console (`npm run build:console`): a Preact single-page app served at `/console` from the
 * API's own origin (so no CORS and no second domain), built into `dist/console` with no CDN at run time.
 */
import path from 'node:path';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [preact()],
  build: {
    outDir: path.resolve(import.meta.dirname, '../../dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
  },
});
