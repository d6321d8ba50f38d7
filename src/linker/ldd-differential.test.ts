import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostRootFS } from '../fs/host.js';
import { fixture } from '../testing/fixtures.js';
import { lddOracle, parseLdd, type LddResult } from '../testing/oracles.js';
import { run } from '../testing/process.js';
import { readGlibcSystemDirs } from './system-dirs.js';
import { resolveLibraries } from './resolve.js';
import type { ResolvedTree } from './types.js';

/**
 * Differential tests against ldd, the tool users trust: same libraries,
 * same paths as ldd prints them, same order. ldd's lines become
 * "name => path" ("not found" for a missing one) and "LOADER path" for the
 * interpreter line; the vdso has no file and is left out.
 */
function lddLines(ldd: LddResult): string[] {
  return ldd.libs
    .filter((l) => l.kind !== 'vdso')
    .map((l) => (l.kind === 'interpreter' ? `LOADER ${l.path}` : `${l.name} => ${l.path ?? 'not found'}`));
}

function ourLines(tree: ResolvedTree): string[] {
  const lines = tree.libraries.map((l) => (l.via === 'loader' && l.path === tree.interpreter?.path && tree.flavor === 'glibc' ? `LOADER ${l.path}` : `${l.name} => ${l.path ?? 'not found'}`));
  if (!tree.interpreter) return lines;
  if (tree.flavor === 'musl') return [`LOADER ${tree.interpreter.path}`, ...lines];
  if (!lines.some((l) => l.startsWith('LOADER '))) {
    // glibc lists its own map after the last object actually mapped, before any "not found" placeholders that follow it.
    let last = -1;
    tree.libraries.forEach((l, i) => {
      if (l.path !== null) last = i;
    });
    lines.splice(last + 1, 0, `LOADER ${tree.interpreter.path}`);
  }
  return lines;
}

/** Regular files under `dir` that start with the ELF magic, sorted. */
function elfFilesIn(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (!lstatSync(path).isFile()) continue;
    const head = Buffer.alloc(4);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, head, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
    if (head.toString('latin1') === '\x7fELF') out.push(path);
  }
  return out;
}

test('every sampled dynamic binary in /usr/bin and /usr/sbin: our libraries are exactly ldd\'s', async () => {
  const fs = new HostRootFS('/');
  const candidates = [...elfFilesIn('/usr/bin'), ...elfFilesIn('/usr/sbin')];
  // Evenly spread over the alphabet, at most 160, so the test stays well under a minute.
  const step = Math.max(1, candidates.length / 160);
  const sample: string[] = [];
  for (let i = 0; i < candidates.length && sample.length < 160; i += step) sample.push(candidates[Math.floor(i)] as string);
  let compared = 0;
  const mismatches: string[] = [];
  for (const path of sample) {
    const ours = await resolveLibraries(fs, path);
    if (ours.interpreter === null) continue; // static: ldd says "not a dynamic executable"
    const theirs = lddLines(await lddOracle(path));
    compared++;
    const mine = ourLines(ours);
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) mismatches.push(`${path}\n  ldd: ${theirs.join(', ')}\n  us:  ${mine.join(', ')}`);
  }
  assert.ok(compared >= 20, `only ${compared} dynamic binaries found`);
  assert.deepEqual(mismatches, []);
});

test('fixtures: $ORIGIN chains, inherited DT_RPATH, a missing library, musl and cgo agree with ldd', async () => {
  const fs = new HostRootFS('/');
  const binaries: Record<string, string> = {
    'c-origin': join(fixture('c-origin'), 'bin', 'app'),
    'c-rpath': join(fixture('c-rpath'), 'bin', 'app'),
    'c-missing-lib': fixture('c-missing-lib'),
    'c-musl-dynamic': fixture('c-musl-dynamic'),
    'go-net-cgo': fixture('go-net-cgo'),
  };
  const vias: Record<string, string[]> = {};
  for (const [name, path] of Object.entries(binaries)) {
    assert.ok(statSync(path).isFile(), `${name}: ${path}`);
    const ours = await resolveLibraries(fs, path);
    assert.deepEqual(ourLines(ours), lddLines(await lddOracle(path)), name);
    vias[name] = ours.libraries.map((l) => `${l.name}@${l.via ?? 'missing'}`);
  }
  // How each was found, which ldd does not say: worked out from the fixtures' link lines.
  assert.deepEqual(vias['c-origin'], ['libgreet.so@runpath', 'libc.so.6@ld.so.cache', 'libinner.so@runpath', 'ld-linux-x86-64.so.2@loader']);
  assert.deepEqual(vias['c-rpath'], ['libgreet.so@rpath', 'libc.so.6@ld.so.cache', 'libinner.so@rpath', 'ld-linux-x86-64.so.2@loader']);
  assert.deepEqual(vias['c-missing-lib'], ['libnothere.so@missing', 'libc.so.6@ld.so.cache', 'ld-linux-x86-64.so.2@loader']);
  assert.deepEqual(vias['c-musl-dynamic'], ['libc.so@loader']);
  assert.ok(vias['go-net-cgo']?.includes('libc.so.6@ld.so.cache'));
});

test('the default directories read from this machine\'s ld.so are the ones it lists as its system search path', async () => {
  const interpreter = '/lib64/ld-linux-x86-64.so.2';
  const help = await run(interpreter, ['--help']);
  assert.equal(help.code, 0);
  const listed = [...help.stdout.matchAll(/^\s+(\/\S*) \(system search path\)$/gm)].map((m) => m[1]);
  assert.ok(listed.length >= 2);
  assert.deepEqual(await readGlibcSystemDirs(new HostRootFS('/'), interpreter), listed);
});

test('candidates of another machine or class are skipped, a broken one stops the loader: LD_LIBRARY_PATH against ldd', async () => {
  const app = fixture('c-missing-lib'); // needs libnothere.so, which we now provide in several forms
  const good = readFileSync(fixture('c-shared'));
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-ldd-'));
  try {
    const put = (sub: string, bytes: Uint8Array) => {
      mkdirSync(join(dir, sub));
      writeFileSync(join(dir, sub, 'libnothere.so'), bytes);
    };
    const otherMachine = new Uint8Array(good);
    new DataView(otherMachine.buffer).setUint16(18, 183, true); // e_machine: aarch64
    const otherClass = new Uint8Array(good);
    otherClass[4] = 1; // EI_CLASS: 32-bit
    put('machine', otherMachine);
    put('class', otherClass);
    put('short', new TextEncoder().encode('not ELF, and shorter than an ELF header\n'));
    put('garbage', new TextEncoder().encode('not ELF either, but longer than the 64 bytes of an ELF64 file header.\n'));
    mkdirSync(join(dir, 'good'));
    copyFileSync(fixture('c-shared'), join(dir, 'good', 'libnothere.so'));

    const fs = new HostRootFS('/');
    const ldd = async (libraryPath: string) =>
      run('ldd', [app], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LD_LIBRARY_PATH: libraryPath } });

    const skipping = `${dir}/machine:${dir}/class:${dir}/good`;
    const theirs = await ldd(skipping);
    assert.equal(theirs.code, 0, theirs.stderr);
    const ours = await resolveLibraries(fs, app, { ldLibraryPath: skipping });
    assert.deepEqual(ourLines(ours), lddLines(parseLdd(theirs.stdout)));
    assert.equal(ours.libraries[0]?.path, `${dir}/good/libnothere.so`);
    assert.equal(ours.libraries[0]?.via, 'ld_library_path');

    // ldd stops at a broken file with an error naming it; we report the same error on that library (and, deliberately, go on listing the rest).
    for (const sub of ['short', 'garbage']) {
      const broken = `${dir}/${sub}:${dir}/good`;
      const failed = await ldd(broken);
      assert.notEqual(failed.code, 0);
      const message = /error while loading shared libraries: (.*)$/m.exec(failed.stdout + failed.stderr)?.[1];
      assert.ok(message, failed.stdout + failed.stderr);
      const stopped = await resolveLibraries(fs, app, { ldLibraryPath: broken });
      assert.equal(stopped.libraries[0]?.error, message);
      assert.equal(stopped.libraries[0]?.path, `${dir}/${sub}/libnothere.so`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
