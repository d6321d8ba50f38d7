#!/usr/bin/env node
// Bundles the CLI into one ES module (dist/fromscratch.mjs), and beside it
// the worker a big directory scan starts per core (dist/inspect-worker.mjs,
// where src/cli/inspector.ts looks for it). Loading ~150 small modules took
// longer than inspecting a 50 MB binary; one file halves the start-up. The
// library entry (dist/index.js) stays unbundled and typed.
import { build } from 'esbuild';

const entries = [
  ['src/cli/run.ts', 'dist/fromscratch.mjs'],
  ['src/cli/inspect-worker.ts', 'dist/inspect-worker.mjs'],
];
for (const [entry, outfile] of entries) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}
