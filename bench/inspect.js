#!/usr/bin/env node
// inspect's figures (issue: foundation and inspect), as ratios against what
// a person would otherwise run. Run through bench/run.js (`npm run bench`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bigGoBinary, CACHE, CLI, GO, instructions, peakKiB, ratio, REPO, row, RUNS, walls } from './lib.js';

mkdirSync(CACHE, { recursive: true });
console.log(`fromscratch bench (median of ${RUNS} runs, compared commands taking turns; ratio: median of the per-round ratios; ${process.version})`);

// 1. One big Go binary: wall time against Node's own start-up (our floor).
// Twice when the environment sets NODE_EXTRA_CA_CERTS (this workplace's
// machines do): Node then parses that CA bundle at every start-up, ~90 ms
// here, which flatters any ratio against `node -e 0`; the second pass
// unsets it for both sides, as on a typical machine.
const big50 = bigGoBinary(50);
const big10 = bigGoBinary(10);
const environments = process.env.NODE_EXTRA_CA_CERTS ? [[], ['env', '-u', 'NODE_EXTRA_CA_CERTS']] : [[]];
for (const prefix of environments) {
  const note = prefix.length > 0 ? ' (no NODE_EXTRA_CA_CERTS)' : '';
  const [nodeFloor, inspect50, inspectText] = walls(
    [...prefix, process.execPath, '-e', '0'],
    [...prefix, process.execPath, CLI, 'inspect', '--json', big50],
    [...prefix, process.execPath, CLI, 'inspect', big50],
  );
  row(`inspect ${(statSync(big50).size / 1e6).toFixed(0)} MB Go binary${note}`, inspect50, nodeFloor, 'node -e 0');
  row(`inspect (text) same binary${note}`, inspectText, nodeFloor, 'node -e 0');
}
// The same in instructions (callgrind), which the machine's load does not
// move: the figure to compare two builds by, where wall times differ by
// ±0.1x from run to run. Without NODE_EXTRA_CA_CERTS, as above.
const noCaEnv = { ...process.env };
delete noCaEnv.NODE_EXTRA_CA_CERTS;
const countOf = (argv) => instructions(argv, noCaEnv);
const nodeInstructions = countOf([process.execPath, '-e', '0']);
if (nodeInstructions === undefined) console.log('instructions: valgrind is not installed');
else {
  const inspectInstructions = countOf([process.execPath, CLI, 'inspect', '--json', big50]);
  if (inspectInstructions !== undefined) {
    row(`inspect ${(statSync(big50).size / 1e6).toFixed(0)} MB Go binary, instructions`, inspectInstructions / 1e6, nodeInstructions / 1e6, 'node -e 0', 'M');
  }
}

const [inspect50, fileGo] = walls(
  [process.execPath, CLI, 'inspect', '--json', big50],
  ['sh', '-c', `file ${big50} >/dev/null && ${GO} version -m ${big50} >/dev/null`],
);
row('inspect same binary', inspect50, fileGo, 'file + go version -m');

// 1a. A real Go program of about that size, when the host has one (here
// gcloud's kubectl, kpt, ...): the padded binary above keeps a small
// program's pclntab (~3,000 functions), a real one holds ~80,000 names, and
// listing the packages compiled in reads every one of them.
const realGo = goBinaryNear(50e6, ['/usr/local/bin', '/usr/bin', '/usr/lib/google-cloud-sdk/bin']);
if (realGo) {
  // Without the CA-bundle variable when the machine sets one (the second environment above).
  const noCa = environments.at(-1) ?? [];
  const [nodeFloor, inspectReal, goVersion] = walls(
    [...noCa, process.execPath, '-e', '0'],
    [...noCa, process.execPath, CLI, 'inspect', '--json', realGo.path],
    [GO, 'version', '-m', realGo.path],
  );
  const label = `inspect ${realGo.path.split('/').pop()} (${(realGo.size / 1e6).toFixed(0)} MB, real Go program)`;
  row(label, inspectReal, nodeFloor, `node -e 0${noCa.length > 0 ? ' (no CA env)' : ''}`);
  row(label, inspectReal, goVersion, 'go version -m');
}

// 1b. How much of the file inspect reads (by offset, never whole).
const readStats = spawnSync(process.execPath, [join(REPO, 'bench', 'bytes-read.js'), big50], { encoding: 'utf8' });
if (readStats.status !== 0) throw new Error(readStats.stderr);
console.log(readStats.stdout.trim());

// 2. Peak memory must not grow with the file's size.
const rss10 = peakKiB([process.execPath, CLI, 'inspect', '--json', big10]);
const rss50 = peakKiB([process.execPath, CLI, 'inspect', '--json', big50]);
const rssNode = peakKiB([process.execPath, '-e', '0']);
console.log(`peak RSS: node -e 0 ${rssNode} KiB; inspect 10 MB ${rss10} KiB; inspect 50 MB ${rss50} KiB; growth 50/10 MB ${ratio(rss50, rss10)}`);

// 3. Directories of binaries, one process each side: a distribution's
// /usr/bin (mostly C, a few big Go programs), /usr/sbin (C and runc) and a Go
// toolchain's own tools. Against file + go version -m (the issue's
// comparison), and against file + ldd + go version -m: ldd is what a person
// runs for the library closure inspect reports too, so that is the same
// answer from the tools.
for (const dir of ['/usr/bin', '/usr/sbin', dirname(dirname(GO)) + '/pkg/tool/linux_amd64']) {
  const count = readdirSync(dir).length;
  const [ours, theirs, withLdd] = walls(
    [process.execPath, CLI, 'inspect', '--json', '--fail-on', 'none', dir],
    ['sh', '-c', `file ${dir}/* >/dev/null; ${GO} version -m ${dir} >/dev/null 2>&1; true`],
    ['sh', '-c', `file ${dir}/* >/dev/null; for f in ${dir}/*; do ldd "$f" >/dev/null 2>&1; done; ${GO} version -m ${dir} >/dev/null 2>&1; true`],
  );
  const name = `inspect ${dir.replace(/^\/usr\/lib\//, '')} (${count} entries)`;
  row(name, ours, theirs, 'file + go version -m');
  row(name, ours, withLdd, 'file + ldd + go version -m');
}

/** The Go binary in `dirs` (symlinks followed) whose size is nearest `bytes`, at least 60% of it; undefined when none is. */
function goBinaryNear(bytes, dirs) {
  let best;
  for (const dir of dirs) {
    let names = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(dir, name);
      let size;
      try {
        const st = statSync(path);
        if (!st.isFile() || st.size < bytes * 0.6) continue;
        size = st.size;
      } catch {
        continue;
      }
      if (best && Math.abs(size - bytes) >= Math.abs(best.size - bytes)) continue;
      if (spawnSync(GO, ['version', path], { stdio: 'ignore' }).status === 0) best = { path, size };
    }
  }
  return best;
}
