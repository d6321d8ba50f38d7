#!/usr/bin/env node
'use strict';
// Starts the CLI from one CommonJS bundle (dist/bundle/fromscratch.cjs)
// through a V8 code cache: compiling the bundle cost a third of what
// `inspect` of a 50 MB Go binary takes, and reading the cached bytecode
// costs a few milliseconds. CommonJS on purpose (bin/package.json): the ES
// module loader's own start-up is cost we do not need here.
//
// The cache (fromscratch.cjs.cache beside the bundle) is written by the
// build after a training run, and rewritten at exit whenever it is missing,
// stale (its header names another bundle size or mtime) or refused by V8
// (another Node version), by a run without Node flags of its own. Writing
// is best effort and atomic: a read-only install simply runs without a
// cache. FROMSCRATCH_CODE_CACHE=0 turns it off.
// Inspect workers load the bundle through this same file, so they share the cache.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

// V8 optimises a function once it has run through this much bytecode (the
// default is 67584). A command here runs well under a second, mostly cold
// code: at the default, TurboFan compiled hundreds of functions that were
// then barely used, on a second thread a 2-core machine does not have to
// spare (a /usr/bin scan: 1.4 s of CPU, 0.9 s wall). One 50 MB Go binary
// too: ~12 ms longer wall at the default, which more than pays for loading
// node:v8 here (~3 ms). Eight times the budget still optimises the hot
// loops.
//
// No parallel scavenge: a young-generation collection otherwise splits its
// work into tasks for V8's worker threads and waits for all of them. While
// a directory scan keeps this thread and an inspect worker busy on two
// cores, those tasks wait for a core, and the collection with them (4-14 ms
// each where 1-2 ms would do; /usr/bin ~4% faster without). V8 reads the
// flag at every scavenge.
//
// Set before the bundle is compiled: V8 stamps its code cache with the
// flags, so the cache the build writes through this file matches every run.
require('node:v8').setFlagsFromString('--interrupt-budget=540672 --no-parallel-scavenge');

const bundle = path.join(__dirname, '..', 'dist', 'bundle', 'fromscratch.cjs');
const cacheFile = `${bundle}.cache`;
const useCache = process.env.FROMSCRATCH_CODE_CACHE !== '0';

// latin1: the build makes sure the bundle is ASCII, and this skips UTF-8 decoding.
const source = fs.readFileSync(bundle, 'latin1');
const stat = fs.statSync(bundle);
// The bundle's size and mtime, so a cache made for another build is never used (V8 itself only checks the length).
const stamp = Buffer.from(`fromscratch-code-cache ${stat.size} ${Math.trunc(stat.mtimeMs)}\n`);

let cached;
if (useCache) {
  try {
    const bytes = fs.readFileSync(cacheFile);
    if (bytes.subarray(0, stamp.length).equals(stamp)) cached = bytes.subarray(stamp.length);
  } catch {
    // No cache yet: compile, and write one at exit.
  }
}

const bundleModule = { exports: {} };
const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
const script = new vm.Script(wrapper, { filename: bundle, cachedData: cached });
// A run under other V8 flags (node --some-flag, NODE_OPTIONS) writes none:
// V8 stamps a cache with the flags, and every plain run would refuse it.
const plainRun = process.execArgv.length === 0 && !process.env.NODE_OPTIONS;
if (useCache && plainRun && (cached === undefined || script.cachedDataRejected)) {
  process.once('exit', () => {
    // After the run, so the cache holds the functions the run compiled, not only the top level.
    const temp = `${cacheFile}.${process.pid}.${Date.now()}.tmp`;
    try {
      fs.writeFileSync(temp, Buffer.concat([stamp, script.createCachedData()]));
      fs.renameSync(temp, cacheFile);
    } catch {
      try {
        fs.unlinkSync(temp);
      } catch {
        // Nothing was written.
      }
    }
  });
}
script.runInThisContext()(bundleModule.exports, require, bundleModule, bundle, path.dirname(bundle));
// Run as a program: the command line. Required (by an inspect worker's script): the bundle's entry points.
if (require.main === module) bundleModule.exports.run();
else module.exports = bundleModule.exports;
