#!/usr/bin/env node
'use strict';
// Starts the CLI from a CommonJS bundle through a V8 code cache: compiling
// a bundle cost a third of what `inspect` of a 50 MB Go binary takes, and
// reading the cached bytecode costs a few milliseconds. CommonJS on purpose
// (.cjs): the ES module loader's own start-up is cost we do not need here,
// and a .js file would make Node look up its package.json for the module
// type on every start (~1% of inspecting a Go binary).
//
// Bundles (scripts/bundle-cli.js): dist/bundle/inspect.cjs runs `inspect`
// of files and directories, the command whose start-up counts, and holds
// only its code; dist/bundle/fromscratch.cjs is the whole CLI, and runs
// everything else. Reading a code cache costs by what it holds: the whole
// CLI's ~4.5 ms, inspect's less. The inspect bundle loads
// dist/bundle/inspect-more.cjs for what only some inputs need (dynamic
// binaries' libraries, Mach-O, PE), and hands the command line over to the
// whole CLI when it meets what it does not hold (an input inside an
// image), so which bundle starts never changes what a command does.
//
// A bundle's cache (NAME.cjs.cache beside it) is written by the build
// after a training run, and rewritten at exit whenever it is missing,
// stale (its header names another bundle size or mtime) or refused by V8
// (another Node version), by a run without Node flags of its own. Writing
// is best effort and atomic: a read-only install simply runs without a
// cache. FROMSCRATCH_CODE_CACHE=0 turns it off.
// Inspect workers load the inspect bundle through this same file, so they share its cache.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

// V8 optimises a function once it has run through this much bytecode (the
// default is 67584). A command here runs well under a second, mostly cold
// code: at the default, TurboFan compiled hundreds of functions that were
// then barely used, on a second thread a 2-core machine does not have to
// spare (a /usr/bin scan: 1.4 s of CPU, 0.9 s wall). kubectl too: ~8 ms
// longer wall at the default. Eight times the budget still optimises the
// hot loops.
//
// No parallel scavenge: a young-generation collection otherwise splits its
// work into tasks for V8's worker threads and waits for all of them. While
// a directory scan keeps this thread and an inspect worker busy on two
// cores, those tasks wait for a core, and the collection with them (4-14 ms
// each where 1-2 ms would do; /usr/bin ~4% faster without). V8 reads the
// flag at every scavenge.
//
// Feedback vectors (where a function's inline caches learn) are made once
// a function has run through 24 times its bytecode's size, not 8: most
// functions here run a few times, and making and filling vectors for them
// cost more than their cold property look-ups (instructions: a 57 MB Go
// binary -1.6%, node's own binary -2%, /usr/bin -1.6%; /usr/sbin +3.7%;
// 16 and 64 measured worse, 32 no better, no lazy allocation at all +3%).
//
// Set before a bundle is compiled: V8 stamps its code cache with the
// flags, so the cache the build writes through this file matches every run.
const V8_FLAGS = '--interrupt-budget=540672 --no-parallel-scavenge --interrupt-budget-factor-for-feedback-allocation=24';
// V8's own values for the two of them that its stamp counts (Node 20's V8).
const V8_DEFAULTS = '--interrupt-budget=67584 --interrupt-budget-factor-for-feedback-allocation=8';
setV8Flags(V8_FLAGS);

// This file is in bin/, the bundles in dist/bundle/, both under the package's directory.
// Paths and files are handled with the fewest of Node's functions: each
// one a run calls first is compiled then (~100,000 instructions, tens of
// microseconds), and path.join, readFileSync, statSync and Buffer's string
// methods were a dozen such functions that nothing else here needs.
const bundleDir = `${__dirname.slice(0, -'bin'.length)}dist${path.sep}bundle`;
/** Node's latin1 slicer for any Uint8Array, without Buffer's toString around it. */
const latin1Slice = Buffer.prototype.latin1Slice;
const useCache = process.env.FROMSCRATCH_CODE_CACHE !== '0';
// A run under other V8 flags (node --some-flag, NODE_OPTIONS) writes no cache:
// V8 stamps a cache with the flags, and every plain run would refuse it.
const plainRun = process.execArgv.length === 0 && !process.env.NODE_OPTIONS;
const loaded = new Map();

/**
 * The exports of dist/bundle/NAME.cjs, compiled through its code cache
 * (once per thread). A bundle is given the loader: loadBundle, for the
 * bundles it loads in turn, and `linked`, the modules the bundle that
 * loads it lends it (inspect-more uses the inspect bundle's).
 */
function loadBundle(name, linked) {
  const known = loaded.get(name);
  if (known !== undefined) return known;
  const bundle = `${bundleDir}${path.sep}${name}.cjs`;
  const cacheFile = `${bundle}.cache`;
  const { source, stamp, cached } = readBundle(bundle, cacheFile);
  const script = new vm.Script(source, { filename: bundle, cachedData: cached });
  if (useCache && plainRun && (cached === undefined || script.cachedDataRejected)) {
    // After the run, so the cache holds the functions the run compiled, not only the top level.
    process.once('exit', () => writeCache(cacheFile, stamp, script));
  }
  const bundleModule = { exports: {} };
  script.runInThisContext()(bundleModule.exports, bundleRequire, bundleModule, bundle, bundleDir, { loadBundle, linked });
  loaded.set(name, bundleModule.exports);
  return bundleModule.exports;
}

/**
 * A bundle's source, the stamp its cache must start with, and the cached
 * data when its cache file has that stamp (undefined when there is none,
 * it is stale or unreadable, or caches are off).
 */
function readBundle(bundle, cacheFile) {
  const bundleFd = fs.openSync(bundle, fs.constants.O_RDONLY);
  let cacheFd;
  try {
    const { size, mtimeMs } = fs.fstatSync(bundleFd);
    // The bundle's size and mtime, so a cache made for another build is never used (V8 itself only checks the length).
    // 64 bytes with its newline: V8 copies cached data that does not start pointer-aligned (345 KB, and their page faults).
    const stamp = `${`fromscratch-code-cache ${size} ${Math.trunc(mtimeMs)}`.padEnd(63)}\n`;
    let cacheSize = 0;
    if (useCache) {
      try {
        cacheFd = fs.openSync(cacheFile, fs.constants.O_RDONLY);
        cacheSize = fs.fstatSync(cacheFd).size;
      } catch {
        // No cache yet: compile, and write one at exit.
      }
    }
    // One buffer for both files: the source is copied into V8's heap before
    // the cache is read over it, so a run faults in ~60 fewer fresh pages.
    const bytes = new Uint8Array(Math.max(size, cacheSize));
    readInto(bundleFd, bytes, size, bundle);
    // latin1: the build makes sure the bundle is ASCII, and this skips UTF-8 decoding.
    // The bundle is a function expression (exports, require, module, __filename, __dirname, loader) => ...
    const source = latin1Slice.call(bytes, 0, size);
    if (cacheFd === undefined || cacheSize <= stamp.length) return { source, stamp, cached: undefined };
    try {
      readInto(cacheFd, bytes, cacheSize, cacheFile);
    } catch {
      // A cache that cannot be read is one to write anew.
      return { source, stamp, cached: undefined };
    }
    const cached = latin1Slice.call(bytes, 0, stamp.length) === stamp ? bytes.subarray(stamp.length, cacheSize) : undefined;
    return { source, stamp, cached };
  } finally {
    fs.closeSync(bundleFd);
    if (cacheFd !== undefined) fs.closeSync(cacheFd);
  }
}

/** Reads the first `size` bytes of open file `fd` (named `file`) into `bytes`. */
function readInto(fd, bytes, size, file) {
  for (let done = 0; done < size; ) {
    const got = fs.readSync(fd, bytes, done, size - done, done);
    if (got === 0) throw new Error(`${file} shrank while it was read`);
    done += got;
  }
}

function writeCache(cacheFile, stamp, script) {
  const temp = `${cacheFile}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.writeFileSync(temp, Buffer.concat([Buffer.from(stamp, 'latin1'), script.createCachedData()]));
    fs.renameSync(temp, cacheFile);
  } catch {
    try {
      fs.unlinkSync(temp);
    } catch {
      // Nothing was written.
    }
  }
}

/**
 * The require a bundle is given. Node compiles its own modules that
 * start-up has not loaded through a code cache of theirs, which V8 stamps
 * with the flags Node was built with and refuses under ours: a directory
 * scan's node:worker_threads (27 modules with node:os) took 24-34 ms to
 * load instead of 12-14. Such a module loads with V8's own values for the
 * moment; nothing of ours compiles meanwhile.
 */
function bundleRequire(id) {
  if (!id.startsWith('node:') || process.moduleLoadList.includes(`NativeModule ${id.slice(5)}`)) return require(id);
  setV8Flags(V8_DEFAULTS);
  try {
    return require(id);
  } finally {
    setV8Flags(V8_FLAGS);
  }
}

/**
 * Sets V8 flags through Node's internal v8 binding: the public node:v8
 * module loads ~25 stream modules for its heap snapshots, ~1.5 ms of every
 * start-up. process.binding('v8') is deprecated (DEP0111), so its warning
 * is kept quiet for the call; node:v8 is the fallback should a Node
 * version refuse it.
 */
function setV8Flags(flags) {
  const quiet = process.noDeprecation;
  process.noDeprecation = true;
  try {
    process.binding('v8').setFlagsFromString(flags);
  } catch {
    require('node:v8').setFlagsFromString(flags);
  } finally {
    process.noDeprecation = quiet;
  }
}

module.exports = { loadBundle };
// Run as a program: the command line. Required (by an inspect worker's script): loadBundle.
if (require.main === module) loadBundle(process.argv[2] === 'inspect' ? 'inspect' : 'fromscratch').run();
