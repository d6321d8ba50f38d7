import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { InspectReport } from '../analysis/report.js';
import { fixture } from '../testing/fixtures.js';
import { run } from '../testing/process.js';
import { useRegistry } from '../testing/registry-hooks.js';
import { unpackBundle } from '../testing/runc.js';
import { splitImagePath } from './inspect-image-path.js';
import { BIN } from '../testing/cli.js';

/**
 * `inspect REF:/path`: a binary inside an image, read from the image's
 * layers (an OCI layout, archives, a real registry on 127.0.0.1), must get
 * the report inspect gives for the same file unpacked by umoci and inspected
 * with --root at the unpacked root file system.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-inspect-image-'));
const cli = (...args: string[]) => run(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });
const registry = useRegistry(() => rm(work, { recursive: true, force: true }));

async function inspectJson(...args: string[]): Promise<InspectReport[]> {
  const result = await cli('inspect', '--json', ...args);
  assert.ok(result.code === 0 || result.code === 1, `inspect ${args.join(' ')}: exit ${result.code}: ${result.stderr}`);
  return result.stdout.trim().split('\n').map((line) => JSON.parse(line) as InspectReport);
}

test('REF:/path splits at the first ":/" after the transport', () => {
  assert.deepEqual(splitImagePath('docker://127.0.0.1:5000/app:1:/app/server'), { ref: 'docker://127.0.0.1:5000/app:1', path: '/app/server' });
  assert.deepEqual(splitImagePath('docker://h.example/r@sha256:' + 'a'.repeat(64) + ':/bin/x'), { ref: 'docker://h.example/r@sha256:' + 'a'.repeat(64), path: '/bin/x' });
  assert.deepEqual(splitImagePath('oci:/tmp/layout:/app'), { ref: 'oci:/tmp/layout', path: '/app' });
  assert.deepEqual(splitImagePath('oci:dir:v1:/a:/b'), { ref: 'oci:dir:v1', path: '/a:/b' });
  assert.deepEqual(splitImagePath('docker-archive:/x.tar:example.com/app:v1:/srv'), { ref: 'docker-archive:/x.tar:example.com/app:v1', path: '/srv' });
  assert.deepEqual(splitImagePath('oci-archive:a.tar:/srv'), { ref: 'oci-archive:a.tar', path: '/srv' });
  assert.equal(splitImagePath('oci:dir:v1'), undefined);
  assert.equal(splitImagePath('/usr/bin/ls'), undefined);
});

test('a dynamically linked binary inside an image, through every transport, gets the report of the unpacked file with --root', async () => {
  const layout = join(work, 'cgo');
  const built = await cli('build', fixture('go-net-cgo'), '-o', `oci:${layout}:v1`);
  assert.equal(built.code, 0, built.stderr);
  const archive = join(work, 'cgo.oci.tar');
  const docker = join(work, 'cgo.docker.tar');
  const remote = `docker://${registry().host}/inspect/cgo:1`;
  for (const destination of [`oci-archive:${archive}:v1`, `docker-archive:${docker}:example.com/cgo:v1`, remote]) {
    const copied = await cli('copy', `oci:${layout}:v1`, destination);
    assert.equal(copied.code, 0, copied.stderr);
  }
  const bundle = join(work, 'cgo-bundle');
  await unpackBundle(layout, 'v1', bundle);
  const rootfs = join(bundle, 'rootfs');
  const [onDisk] = await inspectJson('--root', rootfs, join(rootfs, 'app', 'go-net-cgo'));
  assert.ok(onDisk);
  assert.equal(onDisk.linkage, 'dynamic');
  assert.ok(onDisk.libraries.length > 0 && onDisk.libraries.every((l) => l.path !== null), 'the image holds every library');

  const refs = [`oci:${layout}:v1`, `oci-archive:${archive}:v1`, `docker-archive:${docker}:example.com/cgo:v1`, remote];
  const reports = await inspectJson(...refs.map((r) => `${r}:/app/go-net-cgo`));
  assert.deepEqual(reports.map((r) => r.path), refs.map((r) => `${r}:/app/go-net-cgo`));
  for (const report of reports) assert.deepEqual({ ...report, path: onDisk.path }, onDisk);

  const text = await cli('inspect', `${remote}:/app/go-net-cgo`);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^${remote.replace(/[.]/g, '\\.')}:/app/go-net-cgo: linux/amd64 ELF executable, dynamically linked`));
  assert.match(text.stdout, /libc\.so\.6 => \/lib\/x86_64-linux-gnu\/libc\.so\.6/);
});

test('a missing path or a directory is a one-line error with exit 2; an index picks the host platform or --platform; host files mix in', async () => {
  const layout = join(work, 'multi');
  assert.equal((await cli('build', fixture('go-static'), fixture('go-static-arm64'), '-o', `oci:${layout}:v1`)).code, 0);
  for (const path of ['/app/nope', '/app']) {
    const failed = await cli('inspect', `oci:${layout}:v1:${path}`);
    assert.equal(failed.code, 2);
    assert.equal(failed.stdout, '');
    assert.equal(failed.stderr.trim().split('\n').length, 1, failed.stderr);
    assert.ok(failed.stderr.includes(`oci:${layout}:v1:${path}`), failed.stderr);
  }
  const remoteMissing = await cli('inspect', `docker://${registry().host}/inspect/never:1:/app/x`);
  assert.equal(remoteMissing.code, 2);
  assert.equal(remoteMissing.stderr.trim().split('\n').length, 1, remoteMissing.stderr);

  const [native] = await inspectJson(`oci:${layout}:v1:/app/go-static`);
  assert.equal(native?.arch, 'amd64');
  const [arm] = await inspectJson('--platform', 'linux/arm64', `oci:${layout}:v1:/app/go-static-arm64`);
  assert.equal(arm?.arch, 'arm64');
  assert.equal(arm?.linkage, 'static');

  const mixed = await inspectJson(`oci:${layout}:v1:/app/go-static`, fixture('go-static'));
  assert.deepEqual(mixed.map((r) => r.path), [`oci:${layout}:v1:/app/go-static`, fixture('go-static')]);
  assert.deepEqual(mixed[0]?.go, mixed[1]?.go);
});
