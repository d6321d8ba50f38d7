#!/usr/bin/env node
// Bundles the CLI (dist/bundle/fromscratch.mjs) and the worker a big
// directory scan starts per core (dist/bundle/inspect-worker.mjs). Loading
// ~150 small modules took longer than inspecting a 50 MB binary; a bundle
// halves the start-up. Code splitting keeps what a command loads on use
// (build's zlib, crypto, tls) in chunks of its own, so `inspect` never pays
// for it. The library entry (dist/index.js) stays unbundled and typed.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: { fromscratch: 'src/cli/run.ts', 'inspect-worker': 'src/cli/inspect-worker.ts' },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
