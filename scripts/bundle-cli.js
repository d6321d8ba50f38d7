#!/usr/bin/env node
// Bundles the CLI into CommonJS files that bin/fromscratch.js compiles
// through V8 code caches, and writes those caches with training runs.
// Loading ~150 small modules took longer than inspecting a 50 MB binary; a
// bundle halved that, and the code cache halves what is left. The modules
// of other commands (build's zlib, crypto, tls) stay behind lazy
// initialisers in the bundle, so `inspect` never runs them. The library
// entry (dist/index.js) stays unbundled and typed.
//
// Two bundles of the same entry: dist/bundle/fromscratch.cjs, the whole
// CLI, and dist/bundle/inspect.cjs, which bin starts for `inspect`. A code
// cache costs by what it holds, and a bundle's top level declares every
// function it has (esbuild hoists them): the whole CLI's cache took ~4.5 ms
// to read, inspect's takes ~3. The inspect bundle leaves out the modules
// that commands load late (LATE_MODULES); in their place a module that
// hands the command line over to the whole CLI, so the one such path
// inspect has (an input inside an image) runs there, unchanged.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

/**
 * The modules commands load with import() when they run, which inspect of
 * files and directories never reaches: build, check and copy, dockerfile's
 * generator, and inspect's own path into images (registries, layers).
 */
const LATE_MODULES = ['cli/inspect-image-path', 'cli/build-run', 'cli/check-run', 'cli/copy-run', 'cli/dockerfile-run'];

/**
 * In the inspect bundle, each of LATE_MODULES is a module with the same
 * export names (read off the compiled module), each of them a function
 * that runs the whole command line again in the whole CLI's bundle, loaded
 * through bin (so with its code cache), which then exits as it would have.
 * The promise it returns never settles: this bundle's part of the command
 * is over. Nothing is written before the hand-over (inspect reads its
 * inputs before it writes a line).
 */
function handOverLateModules() {
  return {
    name: 'hand-over-late-modules',
    setup(b) {
      const late = new RegExp(`/(${LATE_MODULES.map((m) => m.split('/').pop()).join('|')})\\.js$`);
      b.onResolve({ filter: late }, (args) => {
        const resolved = join(args.resolveDir, args.path).replace(/\.js$/, '');
        const module = LATE_MODULES.find((m) => resolved.endsWith(join('src', m)));
        if (module === undefined) return undefined;
        // A module imported statically is not late: its stand-in would be called as though it were the module.
        if (args.kind !== 'dynamic-import') throw new Error(`bundle-cli: ${args.importer} imports ${module} statically; LATE_MODULES are loaded with import() only`);
        return { path: module, namespace: 'hand-over' };
      });
      b.onResolve({ filter: /^hand-over$/ }, () => ({ path: 'hand-over', namespace: 'hand-over' }));
      b.onLoad({ filter: /.*/, namespace: 'hand-over' }, async (args) => {
        if (args.path === 'hand-over') {
          // The bundle's require is bin's own: the path is made absolute from the bundle's directory.
          const bin = `require('node:path').join(__dirname, ${JSON.stringify(BIN_FROM_BUNDLES)})`;
          return { contents: `export function handOver() {\n  require(${bin}).loadBundle('fromscratch').run();\n  return new Promise(() => {});\n}\n`, loader: 'js' };
        }
        const names = Object.keys(await import(pathToFileURL(join('dist', `${args.path}.js`)).href)).filter((n) => n !== 'default');
        return { contents: `import { handOver } from 'hand-over';\n${names.map((n) => `export const ${n} = handOver;`).join('\n')}\n`, loader: 'js' };
      });
    },
  };
}

/** bin/fromscratch.js, the bundles' loader, from dist/bundle (the hand-over and the inspect worker load bundles through it). */
const BIN_FROM_BUNDLES = '../../bin/fromscratch.js';

/** What bin/fromscratch.js passes a bundle, as Node passes a CommonJS module. */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) {';
const WRAPPER_TAIL = '})';

rmSync('dist/bundle', { recursive: true, force: true });
for (const [name, plugins] of [
  ['fromscratch', [bundleRequire]],
  ['inspect', [bundleRequire, handOverLateModules()]],
]) {
  await build({
    entryPoints: { [name]: 'src/cli/bundle-entry.ts' },
    outdir: 'dist/bundle',
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // The bundle's own URL, for the modules that find files beside themselves (the inspect worker).
    // (a getter: only the few users pay for making the URL).
    define: { 'import.meta.url': '__fromscratchBundle.url' },
    // The file is the function bin compiles, wrapper and all: a wrapper added at run time made V8 copy the whole text once more.
    banner: { js: `${WRAPPER_HEAD}\nvar __fromscratchBundle = { get url() { return require("node:url").pathToFileURL(__filename).href; } };` },
    footer: { js: WRAPPER_TAIL },
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins,
  });
  const file = `dist/bundle/${name}.cjs`;
  // The loader reads a bundle as latin1, which skips UTF-8 decoding (~1 ms
  // of every start-up), so the bundle must be ASCII. esbuild escapes
  // non-ASCII in code; what is left is in the doc comments it keeps (an
  // arrow, a micro sign), where a \uXXXX escape reads as well and would be
  // as valid anywhere else in JavaScript.
  const bundleText = readFileSync(file, 'utf8').replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  writeFileSync(file, bundleText);
  // The loader runs a bundle as a vm script, where import() has no module loader to call.
  const dynamicImport = /\bimport\(\s*["'`]/.exec(bundleText);
  if (dynamicImport) throw new Error(`bundle-cli: ${file} keeps an import() (use createRequire for built-in modules)`);
}
// Inspect's worker threads start on the same loader (and so the same code cache).
writeFileSync('dist/bundle/inspect-worker.cjs', `'use strict';\nrequire(${JSON.stringify(BIN_FROM_BUNDLES)}).loadBundle('inspect').startInspectWorker();\n`);

/**
 * The training runs. Inspect's bundle: inspect a dynamic C++ program (node
 * itself) and, when the install brought one, a Go binary (esbuild's), so
 * the cache holds the code inspect runs on both kinds, not just the top
 * level. Text output, so the renderer is in the cache too (--json adds no
 * code of its own). The whole CLI's: a Dockerfile for that Go binary (the
 * help text without one); the functions of other commands are compiled
 * when they first run, as before there were caches.
 */
function installedGoBinary() {
  const platforms = existsSync('node_modules/@esbuild') ? readdirSync('node_modules/@esbuild') : [];
  return platforms.map((p) => join('node_modules/@esbuild', p, 'bin', 'esbuild')).find((esbuild) => existsSync(esbuild));
}
const goBinary = installedGoBinary();
for (const [name, args] of [
  ['inspect', ['inspect', '--fail-on', 'none', process.execPath, ...(goBinary === undefined ? [] : [goBinary])]],
  ['fromscratch', goBinary === undefined ? ['--help'] : ['dockerfile', goBinary]],
]) {
  const training = spawnSync(process.execPath, ['bin/fromscratch.js', ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, FROMSCRATCH_CODE_CACHE: '1' },
  });
  if (training.status !== 0) throw new Error(`bundle-cli: the training run of ${name}.cjs failed (exit ${training.status})`);
  if (!existsSync(`dist/bundle/${name}.cjs.cache`)) console.warn(`bundle-cli: no code cache was written for ${name}.cjs; it runs without one`);
}
