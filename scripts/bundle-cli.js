#!/usr/bin/env node
// Bundles the CLI into one ES module (dist/fromscratch.mjs). Loading ~150
// small modules and commander's CommonJS files took longer than inspecting a
// 50 MB binary; one file halves the start-up. The library entry
// (dist/index.js) stays unbundled and typed.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/run.ts'],
  outfile: 'dist/fromscratch.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // commander is CommonJS and requires Node built-ins; give the bundle a require().
  banner: { js: "import { createRequire as fromscratchCreateRequire } from 'node:module'; const require = fromscratchCreateRequire(import.meta.url);" },
});
