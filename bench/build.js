#!/usr/bin/env node
// build's figures (issue: fromscratch build), as ratios against what a
// person would otherwise run. Run through bench/run.js (`npm run bench`).
//   (a) layer compression: our parallel gzip vs pigz and gzip on one ~50 MB layer tar
//   (b) a whole build of a 50 MB Go binary to oci-archive vs `tar c | pigz` of the same files
//   (c) peak memory of that build for a 10 MB and a 50 MB binary
//   (d) the image's size overhead beyond the files that had to go in
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bigGoBinary, CACHE, CLI, GO, median, peakKiB, ratio, REPO, row, RUNS, shell, wall } from './lib.js';

const gzipStdin = join(REPO, 'bench', 'gzip-stdin.js');
const GO_TOOLS = join(dirname(dirname(GO)), 'pkg', 'tool', 'linux_amd64');

/** Median CPU seconds (user + sys, children included) of a shell command: steadier than wall time on a shared machine. */
function cpu(script) {
  const run = () => {
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', ...shell(script)], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${script} exited ${r.status}: ${r.stderr}`);
    const [user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    return (user + sys) * 1000;
  };
  return median(Array.from({ length: RUNS }, run));
}

/** A ~50 MB layer tar of real binaries (Go's own tools: compressible like most image content), cached. */
function layerTar() {
  const out = join(CACHE, 'layer-50mb.tar');
  if (existsSync(out)) return out;
  const files = ['compile', 'pprof', 'trace', 'link', 'cover'];
  execFileSync('tar', ['-cf', out, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', GO_TOOLS, ...files]);
  return out;
}

const size = (path) => statSync(path).size;
const mb = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;

/** Builds `input` to an oci-archive and unpacks the files exactly as they went in; paths in the report's order. */
function imageFiles(input) {
  const archive = join(work, 'files.tar');
  const json = JSON.parse(execFileSync(process.execPath, [CLI, 'build', input, '-o', `oci-archive:${archive}`, '--json'], { encoding: 'utf8' }));
  const platform = json.platforms[0];
  const root = join(work, 'files-root');
  const blobs = join(work, 'files-blobs');
  for (const dir of [root, blobs]) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  execFileSync('tar', ['-xf', archive, '-C', blobs]);
  for (const layer of platform.layers) execFileSync('tar', ['-xzf', join(blobs, 'blobs', 'sha256', layer.digest.slice(7)), '-C', root]);
  const paths = platform.files.filter((f) => f.type === 'file').map((f) => join(root, f.path));
  const top = [...new Set(platform.files.map((f) => f.path.split('/')[1]))].sort();
  return { platform, paths, archive, root, top };
}

mkdirSync(CACHE, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'fromscratch-bench-build-'));
try {
  console.log(`fromscratch build bench (median of ${RUNS} runs, ${process.version})`);

  // (a) The same bytes, the same level, output to a file on the same disk.
  const tar = layerTar();
  console.log(`(a) layer compression of a ${mb(size(tar))} tar of Go tool binaries`);
  const out = (name) => join(work, name);
  // Ours is a Node process: its start-up is part of every figure below (pigz and gzip start in about a millisecond).
  console.log(`    node start-up floor (node -e 0): ${wall(shell(`node -e 0`)).toFixed(1)} ms`);
  for (const level of [1, 6]) {
    const ours = wall(shell(`node ${gzipStdin} ${level} < ${tar} > ${out('ours.gz')}`));
    const pigz = wall(shell(`pigz -${level} -c < ${tar} > ${out('pigz.gz')}`));
    const gzip = wall(shell(`gzip -${level} -c < ${tar} > ${out('gzip.gz')}`));
    row(`gzipParallel -${level} (wall)`, ours, pigz, `pigz -${level}`);
    row(`gzipParallel -${level} (wall)`, ours, gzip, `gzip -${level} (one thread)`);
    row(`gzipParallel -${level} (CPU user+sys)`, cpu(`node ${gzipStdin} ${level} < ${tar} > ${out('ours.gz')}`), cpu(`pigz -${level} -c < ${tar} > ${out('pigz.gz')}`), `pigz -${level}`);
    row(`gzipParallel -${level} (output size)`, size(out('ours.gz')) / 1e6, size(out('gzip.gz')) / 1e6, `gzip -${level}`, 'MB');
    // Ours must be one standard gzip stream with the same bytes inside.
    execFileSync('bash', ['-c', `set -o pipefail; gzip -dc ${out('ours.gz')} | cmp - ${tar}`]);
  }

  // (b) A whole build (inspect, plan, two layers, config, archive) vs just packing the same files.
  const big50 = bigGoBinary(50);
  const big10 = bigGoBinary(10);
  const ourBuild = wall(shell(`node ${CLI} build ${big50} -o oci-archive:${out('big50.tar')} > /dev/null`));
  // The same files, unpacked from the image the build made (the binary, its zoneinfo, passwd, group, /tmp).
  const staged = imageFiles(big50);
  const tarPigz = wall(shell(`tar -C ${staged.root} -c ${staged.top.join(' ')} | pigz -6 > ${out('plain.tar.gz')}`));
  row('build 50 MB binary -> oci-archive', ourBuild, tarPigz, 'tar c | pigz -6 (same files)');

  // (c) Streaming, never buffering a layer: the 50 MB build must not need 5x the memory of the 10 MB one.
  const rss10 = peakKiB([process.execPath, CLI, 'build', big10, '-o', `oci-archive:${out('rss10.tar')}`]);
  const rss50 = peakKiB([process.execPath, CLI, 'build', big50, '-o', `oci-archive:${out('rss50.tar')}`]);
  const rssNode = peakKiB([process.execPath, '-e', '0']);
  console.log(`(c) peak RSS: node -e 0 ${rssNode} KiB; build 10 MB ${rss10} KiB; build 50 MB ${rss50} KiB; growth 50/10 MB ${ratio(rss50, rss10)} (binary 5x bigger)`);

  // (d) Overhead: what the image stores beyond the files' own bytes compressed the same way (gzip -6, no tar).
  console.log("(d) overhead = image blobs (manifest + config + layers, as a registry stores them) - gzip -6 of the files' bytes concatenated");
  console.log('    (tar headers and padding, directory entries, two gzip streams, manifest and config); the oci-archive file adds');
  console.log('    index.json, oci-layout and its own tar framing');
  const inputs = [
    ['httpsclient (Go source: binary + CA bundle)', join(REPO, 'fixtures', 'go', 'httpsclient')],
    ['big-10mb', big10],
    ['big-50mb', big50],
  ];
  for (const [name, input] of inputs) {
    const { platform, paths, archive } = imageFiles(input);
    const listFile = out('overhead-files');
    writeFileSync(listFile, paths.join('\0'));
    const gz = (command) => Number(execFileSync('bash', ['-c', `set -o pipefail; xargs -0 cat < ${listFile} | ${command} | wc -c`], { encoding: 'utf8' }).trim());
    const byGzip = gz('gzip -6');
    const byOurs = gz(`node ${gzipStdin} 6`);
    const filesBytes = platform.files.reduce((n, f) => n + f.size, 0);
    console.log(`    ${name}: ${paths.length} files, ${mb(filesBytes)}; image blobs ${platform.size} B, oci-archive ${size(archive)} B`);
    console.log(`      vs gzip -6 of the files alone (${byGzip} B): overhead ${platform.size - byGzip} B, oci-archive ${size(archive) - byGzip} B`);
    console.log(`      vs our gzip -6 of the files alone (${byOurs} B, same compressor: framing only): overhead ${platform.size - byOurs} B, oci-archive ${size(archive) - byOurs} B`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
