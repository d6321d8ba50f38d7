#!/usr/bin/env node
// Bundles the CLI into one CommonJS file, dist/bundle/fromscratch.cjs, that
// bin/fromscratch.js compiles through a V8 code cache, and writes that
// cache with a training run. Loading ~150 small modules took longer than
// inspecting a 50 MB binary; a bundle halved that, and the code cache
// halves what is left. The modules of other commands (build's zlib, crypto,
// tls) stay behind lazy initialisers in the bundle, so `inspect` never
// loads them. The library entry (dist/index.js) stays unbundled and typed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * The sources load a few built-ins late (child_process, worker_threads,
 * v8) through node:module's createRequire, since ES modules have no
 * require. Loading node:module itself starts the ES module loader: ~2 ms of
 * every start-up. In the bundle, a CommonJS script, the loader's own
 * require does the same at no cost.
 */
const bundleRequire = {
  name: 'bundle-require',
  setup(b) {
    b.onResolve({ filter: /^node:module$/ }, () => ({ path: 'node:module', namespace: 'bundle-require' }));
    b.onLoad({ filter: /.*/, namespace: 'bundle-require' }, () => ({
      contents: 'export function createRequire() { return require; }',
      loader: 'js',
    }));
  },
};

rmSync('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: { fromscratch: 'src/cli/bundle-entry.ts' },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // The bundle's own URL, for the modules that find files beside themselves (the inspect worker).
  // (a getter: only the few users pay for making the URL).
  define: { 'import.meta.url': '__fromscratchBundle.url' },
  banner: { js: 'var __fromscratchBundle = { get url() { return require("node:url").pathToFileURL(__filename).href; } };' },
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [bundleRequire],
});
// The loader reads the bundle as latin1, which skips UTF-8 decoding (~1 ms
// of every start-up), so the bundle must be ASCII. esbuild escapes
// non-ASCII in code; what is left is in the doc comments it keeps (an
// arrow, a micro sign), where a \uXXXX escape reads as well and would be
// as valid anywhere else in JavaScript.
const bundleText = readFileSync('dist/bundle/fromscratch.cjs', 'utf8').replace(
  /[^\x00-\x7f]/g,
  (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
);
writeFileSync('dist/bundle/fromscratch.cjs', bundleText);
// The loader runs the bundle as a vm script, where import() has no module loader to call.
const dynamicImport = /\bimport\(\s*["'`]/.exec(bundleText);
if (dynamicImport) throw new Error('bundle-cli: the bundle keeps an import() (use createRequire for built-in modules)');
// Inspect's worker threads start on the same loader (and so the same code cache).
writeFileSync('dist/bundle/inspect-worker.cjs', "'use strict';\nrequire('../../bin/fromscratch.js').startInspectWorker();\n");

/**
 * The training run: inspect a dynamic C++ program (node itself) and, when
 * the install brought one, a Go binary (esbuild's), so the cache holds the
 * code inspect runs on both kinds, not just the top level. Text output, so
 * the renderer is in the cache too (--json adds no code of its own).
 */
function trainingInputs() {
  const inputs = [process.execPath];
  const platforms = existsSync('node_modules/@esbuild') ? readdirSync('node_modules/@esbuild') : [];
  for (const p of platforms) {
    const esbuild = join('node_modules/@esbuild', p, 'bin', 'esbuild');
    if (existsSync(esbuild)) inputs.push(esbuild);
  }
  return inputs;
}
const training = spawnSync(process.execPath, ['bin/fromscratch.js', 'inspect', '--fail-on', 'none', ...trainingInputs()], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, FROMSCRATCH_CODE_CACHE: '1' },
});
if (training.status !== 0) throw new Error(`bundle-cli: the training run of the bundle failed (exit ${training.status})`);
if (!existsSync('dist/bundle/fromscratch.cjs.cache')) console.warn('bundle-cli: no code cache was written; the CLI runs without one');
