/**
 * `npm run build:console`: builds the console into a fresh directory, then swaps it in for `dist/console`, so a
 * local stack serving the console (a test, `npm start`) never sees it half written.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'vite';

const root = path.resolve(import.meta.dirname, '..');
const target = path.join(root, 'dist', 'console');
const fresh = `${target}.${randomUUID()}`;
await build({ configFile: path.join(root, 'functions/console/vite.config.ts'), logLevel: 'warn', build: { outDir: fresh, emptyOutDir: true } });
const old = `${target}.old.${randomUUID()}`;
if (existsSync(target)) renameSync(target, old);
renameSync(fresh, target);
rmSync(old, { recursive: true, force: true });
