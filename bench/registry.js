#!/usr/bin/env node
// The registry's figures (issue: registries), as ratios against `skopeo copy`
// of the same image: push and pull of a ~50 MB image (one random, so
// incompressible, layer) on loopback to a local plain-HTTP docker-registry,
// and a second push of the unchanged image (blob bytes sent, time). Run
// through bench/run.js (`npm run bench`, which builds dist/ first).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, median, REPO, row, RUNS } from './lib.js';

const dist = (path) => import(join(REPO, 'dist', path));
const { startFaultProxy, startRegistry } = await dist('testing/registry-server.js');
const { memoryImage, layerFromTar } = await dist('image/memory.js');
const { writeOciLayout } = await dist('image/oci-layout-writer.js');
const { readOciLayout } = await dist('image/oci-layout.js');
const { writeTar } = await dist('layer/index.js');
const { readAllCapped } = await dist('image/blob-streams.js');
const { pushImage } = await dist('registry/push.js');

const MB = Number(process.env.BENCH_REGISTRY_MB ?? 50);

/** Wall time in ms of one run of `argv` (asynchronous: a proxy in this process must keep forwarding meanwhile). */
function timed(argv) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr}`));
      else resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    });
  });
}

/**
 * Medians over RUNS of `ours(state)` and `theirs(state)`, run in turns
 * (which goes first alternates, so a busy moment of the machine hits both
 * sides alike), each run given a fresh state from `setup`, e.g. an empty
 * registry: no blob is there already, and skopeo's blob-location cache,
 * keyed by host:port, knows nothing of it. Setting up is not timed.
 */
async function compare(setup, ours, theirs) {
  const times = { ours: [], theirs: [] };
  for (let i = 0; i < 2 * RUNS; i++) {
    const side = (i % 2 === 0) === (Math.floor(i / 2) % 2 === 0) ? 'ours' : 'theirs';
    const state = await setup(`${side}-${i}`);
    try {
      times[side].push(await (side === 'ours' ? ours : theirs)(state));
    } finally {
      await state.stop?.();
    }
  }
  return [median(times.ours), median(times.theirs)];
}

const work = mkdtempSync(join(tmpdir(), 'fromscratch-bench-registry-'));
try {
  // One layer holding one file of random bytes: gzip cannot shrink it, so every byte crosses the wire.
  const payload = randomBytes(MB * 1024 * 1024);
  const tar = await readAllCapped(writeTar([{ header: { path: 'app/payload', type: 'file', mode: 0o644, size: payload.length }, body: payload }]), 2 * payload.length, 'bench tar');
  const image = memoryImage({ config: { architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/app/payload'] } }, layers: [layerFromTar(tar)] });
  const layout = join(work, 'layout');
  await writeOciLayout(layout, { kind: 'image', image }, { tag: 't' });
  const layerSize = (await image.manifest()).layers[0].size;
  console.log(`fromscratch registry bench (median of ${RUNS} runs, ${process.version}; image: one ${(layerSize / 1e6).toFixed(1)} MB gzip layer; docker-registry on 127.0.0.1, plain HTTP)`);
  // The client, the registry and skopeo share the machine: a busy one moves every figure.
  console.log(`machine: ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} at start`);

  // 1. Push: oci layout → docker:// on an empty registry.
  const [pushOurs, pushSkopeo] = await compare(
    () => startRegistry(),
    (r) => timed([process.execPath, CLI, 'copy', `oci:${layout}:t`, `docker://${r.host}/bench/app:1`]),
    (r) => timed(['skopeo', 'copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:t`, `docker://${r.host}/bench/app:1`]),
  );
  row(`push ${(layerSize / 1e6).toFixed(0)} MB image (oci: → docker://)`, pushOurs, pushSkopeo, 'skopeo copy');

  // 2. Pull: docker:// → a new oci layout, from a registry holding the image.
  const loaded = await startRegistry();
  try {
    await timed(['skopeo', 'copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:t`, `docker://${loaded.host}/bench/app:1`]);
    const outDir = async (name) => ({ dir: join(work, `pull-${name}`), stop: () => rmSync(join(work, `pull-${name}`), { recursive: true, force: true }) });
    const [pullOurs, pullSkopeo] = await compare(
      outDir,
      (o) => timed([process.execPath, CLI, 'copy', `docker://${loaded.host}/bench/app:1`, `oci:${o.dir}:t`]),
      (o) => timed(['skopeo', 'copy', '--quiet', '--src-tls-verify=false', `docker://${loaded.host}/bench/app:1`, `oci:${o.dir}:t`]),
    );
    row(`pull ${(layerSize / 1e6).toFixed(0)} MB image (docker:// → oci:)`, pullOurs, pullSkopeo, 'skopeo copy');

    // 3. Second push of the unchanged image: what crosses the wire (counted by a TCP proxy), and how long it takes.
    const proxy = await startFaultProxy(loaded.port, Infinity, 0);
    try {
      let oursBytes = 0;
      const [againOurs, againSkopeo] = await compare(
        async () => ({}),
        async () => {
          const before = proxy.upBytes;
          const ms = await timed([process.execPath, CLI, 'copy', `oci:${layout}:t`, `docker://${proxy.host}/bench/app:1`]);
          oursBytes = proxy.upBytes - before;
          return ms;
        },
        () => timed(['skopeo', 'copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:t`, `docker://${proxy.host}/bench/app:1`]),
      );
      row('second push, unchanged image', againOurs, againSkopeo, 'skopeo copy (same)');
      // Most of a second push is starting Node: the floor no JavaScript CLI goes below.
      const [nodeFloor, skopeoFloor] = await compare(async () => ({}), () => timed([process.execPath, '-e', '0']), () => timed(['skopeo', '--version']));
      row('start-up floor (for scale)', nodeFloor, skopeoFloor, 'skopeo --version');
      // The exact blob-body count, from the client's own request log.
      let blobBodyBytes = 0;
      const source = await readOciLayout(layout, 't');
      await pushImage(`${loaded.host}/bench/app:1`, source, { onRequest: (e) => (blobBodyBytes += e.url.includes('/blobs/') ? e.bodyBytes : 0) });
      console.log(`second push: ${blobBodyBytes} blob bytes sent; ${oursBytes} bytes of requests in all per push (HEADs and manifests), against ${layerSize} bytes of layer`);
    } finally {
      await proxy.stop();
    }
  } finally {
    await loaded.stop();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
