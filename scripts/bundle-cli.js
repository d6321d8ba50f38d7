#!/usr/bin/env node
// Bundles the CLI into CommonJS files that bin/fromscratch.cjs compiles
// through V8 code caches, and writes those caches with training runs.
// Loading ~150 small modules took longer than inspecting a 50 MB binary; a
// bundle halved that, and the code cache halves what is left. The modules
// of other commands (build's zlib, crypto, tls) stay behind lazy
// initialisers in the bundle, so `inspect` never runs them. The library
// entry (dist/index.js) stays unbundled and typed.
//
// Three bundles. dist/bundle/fromscratch.cjs is the whole CLI;
// dist/bundle/inspect.cjs, which bin starts for `inspect`, holds the code
// inspect runs on every file. A code cache costs by what it holds, and a
// bundle's top level declares every function it has (esbuild hoists them):
// the whole CLI's cache took ~4.5 ms to read, inspect's ~3. The inspect
// bundle leaves out two kinds of module:
// - those commands load late (LATE_MODULES): in their place a module that
//   hands the command line over to the whole CLI, so the one such path
//   inspect has (an input inside an image) runs there, unchanged;
// - those only some inputs need (INSPECT_LATER: the library search, the
//   Mach-O and PE readers, Go source directories), which are in
//   dist/bundle/inspect-more.cjs, loaded with its own cache the first time
//   an input needs one. Its modules use the inspect bundle's instances of
//   every module both need (one FormatError class, one of each cache), so
//   no module is in both.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
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
 * Inspect's modules that only some inputs need, loaded with import() where
 * they are needed: the loader's library search (dynamic binaries), the
 * Mach-O and PE readers, and Go source directories (the go command). A
 * static Go binary, what inspect is mostly asked about, needs none of them.
 */
const INSPECT_LATER = ['linker/resolve', 'macho/parse', 'pe/parse', 'analysis/inspect-source'];

/**
 * Resolves, on builder `b`, the imports of `modules` (paths under src/,
 * without extension) into `namespace`, and fails the build for any that is
 * imported statically: its stand-in would then be used as though it were
 * the module.
 */
function standInFor(b, modules, namespace) {
  const filter = new RegExp(`/(${modules.map((m) => m.split('/').pop()).join('|')})\\.js$`);
  b.onResolve({ filter }, (args) => {
    const resolved = join(args.resolveDir, args.path).replace(/\.js$/, '');
    const module = modules.find((m) => resolved.endsWith(join('src', m)));
    if (module === undefined) return undefined;
    if (args.kind !== 'dynamic-import') throw new Error(`bundle-cli: ${args.importer} imports ${module} statically; it is loaded with import() only`);
    return { path: module, namespace };
  });
}

/** The export names of source module `module` (a path under src/, without extension), read off its compiled module in dist/. */
async function exportNames(module) {
  return Object.keys(await import(pathToFileURL(join('dist', `${module}.js`)).href)).filter((n) => n !== 'default');
}

/**
 * Every bundle is the function bin compiles (WRAPPER_HEAD), called with
 * bin's loader as `__fromscratchLoader`: { loadBundle(name, linked), linked }.
 */
const LOADER = '__fromscratchLoader';

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
      standInFor(b, LATE_MODULES, 'hand-over');
      b.onResolve({ filter: /^hand-over$/ }, () => ({ path: 'hand-over', namespace: 'hand-over' }));
      b.onLoad({ filter: /.*/, namespace: 'hand-over' }, async (args) => {
        if (args.path === 'hand-over') {
          return { contents: `export function handOver() {\n  ${LOADER}.loadBundle('fromscratch').run();\n  return new Promise(() => {});\n}\n`, loader: 'js' };
        }
        const names = await exportNames(args.path);
        return { contents: `import { handOver } from 'hand-over';\n${names.map((n) => `export const ${n} = handOver;`).join('\n')}\n`, loader: 'js' };
      });
    },
  };
}

/**
 * In the inspect bundle, each of INSPECT_LATER is the module of that name
 * in inspect-more.cjs, which bin loads (once a thread) on the first import.
 * The inspect bundle lends it its own modules that inspect-more's import
 * (`shared`, as metafile paths: src/errors.ts...), each as an object of
 * its exports made on that first import: namespace objects, made at load
 * for every run, cost more than inspect-more saved.
 */
function loadLaterModules(shared) {
  return {
    name: 'load-later-modules',
    setup(b) {
      standInFor(b, INSPECT_LATER, 'inspect-later');
      b.onResolve({ filter: /^inspect-lent-modules$/ }, () => ({ path: 'lent-modules', namespace: 'inspect-lent-modules' }));
      b.onLoad({ filter: /.*/, namespace: 'inspect-lent-modules' }, async () => {
        // A lent export is its value when lent: a binding the module reassigns later would go stale.
        const reassignable = shared.find((m) => /^export (let|var) /m.test(readFileSync(m, 'utf8')));
        if (reassignable !== undefined) throw new Error(`bundle-cli: ${reassignable} exports a let or var, which inspect-more would see only as first lent`);
        const exports = await Promise.all(shared.map((m) => exportNames(m.replace(/^src\//, '').replace(/\.ts$/, ''))));
        const imports = shared.map((m, i) => `import { ${exports[i].map((name) => `${name} as m${i}_${name}`).join(', ')} } from ${JSON.stringify(`./${m}`)};`);
        const objects = shared.map((m, i) => `${JSON.stringify(m)}: { ${exports[i].map((name) => `${name}: m${i}_${name}`).join(', ')} }`);
        return {
          contents: `${imports.join('\n')}\nlet lent;\nexport function lentModules() {\n  return (lent ??= { ${objects.join(', ')} });\n}\n`,
          loader: 'js',
          resolveDir: process.cwd(),
        };
      });
      // An ES module of the same export names, not `module.exports =`: esbuild
      // turns each import() of a CommonJS module into a fresh copy of its
      // namespace (one per dynamic binary of a scan, for the library
      // search), and of an ES module into its one namespace object.
      b.onLoad({ filter: /.*/, namespace: 'inspect-later' }, async (args) => {
        const source = `src/${args.path}.ts`;
        if (/^export (let|var) /m.test(readFileSync(source, 'utf8'))) throw new Error(`bundle-cli: ${source} exports a let or var, which the inspect bundle would see only as first loaded`);
        const names = await exportNames(args.path);
        return {
          contents: [
            "import { lentModules } from 'inspect-lent-modules';",
            `const later = ${LOADER}.loadBundle('inspect-more', lentModules()).later[${JSON.stringify(args.path)}];`,
            ...names.map((n) => `export const ${n} = later.${n};`),
          ].join('\n'),
          loader: 'js',
        };
      });
    },
  };
}

/**
 * inspect-more.cjs: INSPECT_LATER and the modules only they need. An
 * import of a module the inspect bundle holds (`core`, metafile paths) is
 * that bundle's instance, lent through bin; each such module is added to
 * `shared`.
 */
function laterFromCore(core, shared) {
  return {
    name: 'later-from-core',
    setup(b) {
      b.onResolve({ filter: /^inspect-more-entry$/ }, () => ({ path: 'entry', namespace: 'inspect-more-entry' }));
      b.onLoad({ filter: /.*/, namespace: 'inspect-more-entry' }, () => ({
        contents: `${INSPECT_LATER.map((m, i) => `import * as l${i} from ${JSON.stringify(`./src/${m}.ts`)};`).join('\n')}\nexport const later = { ${INSPECT_LATER.map((m, i) => `${JSON.stringify(m)}: l${i}`).join(', ')} };\n`,
        loader: 'js',
        resolveDir: process.cwd(),
      }));
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const module = relative(process.cwd(), join(args.resolveDir, args.path)).replace(/\.js$/, '.ts');
        if (!core.has(module)) return undefined;
        shared.add(module);
        return { path: module, namespace: 'inspect-core' };
      });
      b.onLoad({ filter: /.*/, namespace: 'inspect-core' }, (args) => ({ contents: `module.exports = ${LOADER}.linked[${JSON.stringify(args.path)}];\n`, loader: 'js' }));
    },
  };
}

/** bin/fromscratch.cjs, the bundles' loader, from dist/bundle (the inspect worker's script loads the inspect bundle through it). */
const BIN_FROM_BUNDLES = '../../bin/fromscratch.cjs';

/** What bin/fromscratch.cjs passes a bundle: what Node passes a CommonJS module, and its loader. */
const WRAPPER_HEAD = `(function (exports, require, module, __filename, __dirname, ${LOADER}) {`;
const WRAPPER_TAIL = '})';

/** esbuild's options for bundle `name` from `entry`. */
function bundleOptions(name, entry, plugins) {
  return {
    entryPoints: { [name]: entry },
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
  };
}

rmSync('dist/bundle', { recursive: true, force: true });
await build(bundleOptions('fromscratch', 'src/cli/bundle-entry.ts', [bundleRequire]));
// The inspect bundle twice: first to learn which modules it holds, then with those inspect-more uses lent out.
const inspectModules = await build({ ...bundleOptions('inspect', 'src/cli/bundle-entry.ts', [bundleRequire, handOverLateModules(), loadLaterModules([])]), write: false, metafile: true });
const shared = new Set();
await build(bundleOptions('inspect-more', 'inspect-more-entry', [bundleRequire, laterFromCore(new Set(Object.keys(inspectModules.metafile.inputs)), shared)]));
await build(bundleOptions('inspect', 'src/cli/bundle-entry.ts', [bundleRequire, handOverLateModules(), loadLaterModules([...shared].sort())]));

for (const name of ['fromscratch', 'inspect', 'inspect-more']) {
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
 * The training runs. Inspect's bundles: inspect a dynamic C++ program (node
 * itself, whose libraries load inspect-more), when the install brought one
 * a Go binary (esbuild's), and a small ELF with Go build info (esbuild's
 * has none), so the caches hold the code inspect runs on these kinds, not
 * just the top level. Text output, so the renderer is in the cache too (--json adds no
 * code of its own). The whole CLI's: a Dockerfile for that Go binary (the
 * help text without one); the functions of other commands are compiled
 * when they first run, as before there were caches.
 */
function installedGoBinary() {
  const platforms = existsSync('node_modules/@esbuild') ? readdirSync('node_modules/@esbuild') : [];
  return platforms.map((p) => join('node_modules/@esbuild', p, 'bin', 'esbuild')).find((esbuild) => existsSync(esbuild));
}
/**
 * Writes, under `dir`, an ELF whose .go.buildinfo holds a module, deps (one
 * replaced) and quoted build settings, made with the test helpers, and
 * returns its path: without one, the build info's parser compiled on every
 * inspect of a Go binary.
 */
async function writeBuildInfoSample(dir) {
  const { buildElf, ET } = await import(pathToFileURL(join('dist', 'testing', 'elf-builder.js')).href);
  const { frameModinfo, inlineBlob, utf8 } = await import(pathToFileURL(join('dist', 'testing', 'go-synthetic.js')).href);
  const modinfo = [
    'path\texample.com/app',
    'mod\texample.com/app\t(devel)\t',
    'dep\tgolang.org/x/sys\tv0.1.0\th1:abc=',
    'dep\texample.com/old\tv1.0.0\th1:def=',
    '=>\texample.com/new\tv1.1.0\th1:ghi=',
    'build\t-ldflags="-s -w"',
    'build\tCGO_ENABLED=0',
    '',
  ].join('\n');
  const section = { name: '.go.buildinfo', flags: 3, data: inlineBlob(utf8('go1.23.5'), frameModinfo(modinfo)) };
  const file = join(dir, 'go-buildinfo-sample');
  writeFileSync(file, buildElf({ type: ET.EXEC, sections: [section] }).bytes);
  return file;
}

const goBinary = installedGoBinary();
const trainingDir = mkdtempSync(join(tmpdir(), 'fromscratch-training-'));
try {
  trainCaches(await writeBuildInfoSample(trainingDir));
} finally {
  rmSync(trainingDir, { recursive: true, force: true });
}

/** Runs the training runs, which write the bundles' code caches at exit. */
function trainCaches(buildInfoSample) {
  for (const [names, args] of [
    [['inspect', 'inspect-more'], ['inspect', '--fail-on', 'none', process.execPath, buildInfoSample, ...(goBinary === undefined ? [] : [goBinary])]],
    [['fromscratch'], goBinary === undefined ? ['--help'] : ['dockerfile', goBinary]],
  ]) {
    const training = spawnSync(process.execPath, ['bin/fromscratch.cjs', ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, FROMSCRATCH_CODE_CACHE: '1' },
    });
    if (training.status !== 0) throw new Error(`bundle-cli: the training run of ${names[0]}.cjs failed (exit ${training.status})`);
    for (const name of names) {
      if (!existsSync(`dist/bundle/${name}.cjs.cache`)) console.warn(`bundle-cli: no code cache was written for ${name}.cjs; it runs without one`);
    }
  }
}
