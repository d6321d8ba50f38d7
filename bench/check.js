#!/usr/bin/env node
// check's figures (issue 5), as ratios against what a person would
// otherwise run: extracting the image's layers with `tar x` to look inside.
// Run through bench/run.js (`npm run bench`), or alone after `npm run build`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bigGoBinary, CACHE, CLI, peakKiB, ratio, row, RUNS, wall } from './lib.js';

/** Bumped when the images below change, so a cached one is rebuilt. */
const IMAGE_REVISION = 1;

/** Deterministic incompressible bytes (so gzip cannot shrink the layers away). */
function noise(size, label) {
  const out = Buffer.alloc(size);
  let seed = createHash('sha512').update(label).digest();
  for (let off = 0; off < size; off += 64) {
    seed = createHash('sha512').update(seed).digest();
    seed.copy(out, off);
  }
  return out;
}

function sha256File(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function putBlob(layout, bytes) {
  const digest = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(layout, 'blobs', 'sha256', digest), bytes);
  return { digest: `sha256:${digest}`, size: bytes.length };
}

/**
 * An OCI layout of about `mb` MB in four gzip layers: the big Go binary
 * (the entrypoint), then filler files of 4 KiB to 1 MiB in three layers, as
 * an application image with its assets would be. Built once under
 * .cache/bench/check-image-<mb>mb; the layer blobs are what `tar x` gets.
 */
function benchImage(mb, binary) {
  const dir = join(CACHE, `check-image-${mb}mb-r${IMAGE_REVISION}`);
  if (existsSync(join(dir, 'index.json'))) return dir;
  const temp = `${dir}.tmp-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(join(temp, 'blobs', 'sha256'), { recursive: true });
  const staging = join(temp, 'staging');
  const layers = [];
  const diffIds = [];
  const addLayer = (root) => {
    const tar = join(temp, 'layer.tar');
    execFileSync('tar', ['--numeric-owner', '--sort=name', '--mtime=@0', '-C', root, '-cf', tar, '.']);
    diffIds.push(`sha256:${sha256File(tar)}`);
    execFileSync('gzip', ['-n', '-6', tar]);
    const blob = readFileSync(`${tar}.gz`);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...putBlob(temp, blob) });
    rmSync(`${tar}.gz`);
    rmSync(root, { recursive: true, force: true });
  };
  mkdirSync(join(staging, 'app'), { recursive: true });
  copyFileSync(binary, join(staging, 'app', 'server'));
  execFileSync('chmod', ['0755', join(staging, 'app', 'server')]);
  addLayer(staging);
  let left = mb * 1024 * 1024 - statSync(binary).size;
  for (let layer = 0; layer < 3 && left > 0; layer++) {
    let budget = Math.ceil(left / (3 - layer));
    left -= budget;
    for (let i = 0; budget > 0; i++) {
      const size = Math.min(budget, 4096 << i % 9);
      const dirName = join(staging, 'srv', 'assets', `l${layer}`, `d${i % 16}`);
      mkdirSync(dirName, { recursive: true });
      writeFileSync(join(dirName, `f${i}.bin`), noise(size, `${mb}-${layer}-${i}`));
      budget -= size;
    }
    addLayer(staging);
  }
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/app/server'] }, rootfs: { type: 'layers', diff_ids: diffIds } }));
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...putBlob(temp, config) }, layers }),
  );
  const m = putBlob(temp, manifest);
  writeFileSync(join(temp, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(temp, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }] }),
  );
  renameSync(temp, dir);
  return dir;
}

function layerBlobs(layout) {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', index.manifests[0].digest.slice(7)), 'utf8'));
  return manifest.layers.map((l) => join(layout, 'blobs', 'sha256', l.digest.slice(7)));
}

function imageBytes(layout) {
  return layerBlobs(layout).reduce((sum, b) => sum + statSync(b).size, 0);
}

mkdirSync(CACHE, { recursive: true });
console.log(`fromscratch check bench (median of ${RUNS} runs, ${process.version})`);
const binary = bigGoBinary(10);
const image100 = benchImage(100, binary);
const image20 = benchImage(20, binary);

// 1. Checking an image against merely extracting its layers (what `crane export | tar x` and friends do first).
const out = mkdtempSync(join(tmpdir(), 'fromscratch-bench-tarx-'));
try {
  const blobs = layerBlobs(image100);
  const tarx = wall(['sh', '-c', blobs.map((b) => `tar -xzf ${b} -C ${out}`).join(' && ')], { before: () => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
  } });
  const check = wall([process.execPath, CLI, 'check', '--json', `oci:${image100}:bench`]);
  row(`check ${(imageBytes(image100) / 1e6).toFixed(0)} MB image (4 gzip layers)`, check, tarx, 'tar x of its layers');
} finally {
  rmSync(out, { recursive: true, force: true });
}

// 2. Peak memory must not grow with the layers' size (the entrypoint binary is the same in both).
const rss20 = peakKiB([process.execPath, CLI, 'check', '--json', `oci:${image20}:bench`]);
const rss100 = peakKiB([process.execPath, CLI, 'check', '--json', `oci:${image100}:bench`]);
const rssNode = peakKiB([process.execPath, '-e', '0']);
console.log(
  `peak RSS: node -e 0 ${rssNode} KiB; check ${(imageBytes(image20) / 1e6).toFixed(0)} MB image ${rss20} KiB; check ${(imageBytes(image100) / 1e6).toFixed(0)} MB image ${rss100} KiB; growth 100/20 MB ${ratio(rss100, rss20)}`,
);
