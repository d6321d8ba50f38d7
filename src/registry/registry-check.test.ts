import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture } from '../testing/fixtures.js';
import { run } from '../testing/process.js';
import { skopeoDigest } from '../testing/registry-server.js';
import { useRegistry } from '../testing/registry-hooks.js';
import { BIN } from '../testing/cli.js';

/**
 * `check docker://HOST/REPO:TAG` against a real registry on 127.0.0.1:
 * images made by `build`, pushed (by `copy` or `build -o docker://`), then
 * checked straight from the registry; the verdict must be the one `check`
 * gives for the same image in an OCI layout.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-registry-check-'));
const cli = (...args: string[]) => run(process.execPath, [BIN, ...args]);
const registry = useRegistry(() => rm(work, { recursive: true, force: true }));

interface CheckJson {
  image: string;
  platforms: { platform: string; entrypoint: { argv: string[]; path: string | null }; ok: boolean; findings: { id: string; severity: string; message: string }[] }[];
}

async function checkJson(ref: string, ...extra: string[]): Promise<{ code: number; result: CheckJson }> {
  const result = await cli('check', '--json', ref, ...extra);
  assert.ok(result.code === 0 || result.code === 1, `check ${ref}: exit ${result.code}: ${result.stderr}`);
  return { code: result.code, result: JSON.parse(result.stdout) as CheckJson };
}

test('check docker:// of a dynamically linked image copied to the registry: the same verdict as check oci:', async () => {
  const layout = join(work, 'cgo');
  const built = await cli('build', fixture('go-net-cgo'), '-o', `oci:${layout}:v1`, '--json');
  assert.equal(built.code, 0, built.stderr);
  const digest = (JSON.parse(built.stdout) as { digest: string }).digest;
  const remote = `docker://${registry().host}/check/cgo:1`;
  const copied = await cli('copy', `oci:${layout}:v1`, remote);
  assert.equal(copied.code, 0, copied.stderr);
  assert.equal(await skopeoDigest(remote), digest);

  const local = await checkJson(`oci:${layout}:v1`);
  const fromRegistry = await checkJson(remote);
  assert.equal(fromRegistry.result.image, `docker://${registry().host}/check/cgo:1`);
  assert.equal(fromRegistry.code, local.code);
  assert.deepEqual(fromRegistry.result.platforms, local.result.platforms);
  // The libraries the build put in were found in the image pulled from the registry.
  assert.deepEqual(fromRegistry.result.platforms.map((p) => [p.platform, p.ok, p.entrypoint.path]), [['linux/amd64', true, '/app/go-net-cgo']]);
  assert.ok(!fromRegistry.result.platforms[0]?.findings.some((f) => f.id === 'library-missing' || f.id === 'interpreter-missing'));
});

test('check docker:// of an image pushed by build -o docker://: findings and exit 1 as for oci:; an index checks every platform', async () => {
  const layout = join(work, 'https');
  const args = [fixture('go-https-client'), '--ca-source', 'none'];
  assert.equal((await cli('build', ...args, '-o', `oci:${layout}:v1`)).code, 0);
  const remote = `docker://${registry().host}/check/https:1`;
  const pushed = await cli('build', ...args, '-o', remote);
  assert.equal(pushed.code, 0, pushed.stderr);
  const local = await checkJson(`oci:${layout}:v1`);
  const fromRegistry = await checkJson(remote);
  assert.equal(fromRegistry.code, 1);
  assert.deepEqual(fromRegistry.result.platforms, local.result.platforms);
  assert.deepEqual(fromRegistry.result.platforms[0]?.findings.map((f) => f.id), ['ca-certificates-missing']);
  const text = await cli('check', remote);
  assert.equal(text.code, 1);
  assert.match(text.stdout, new RegExp(`${registry().host}/check/https:1 linux/amd64: will not run`));

  const multi = `docker://${registry().host}/check/multi:1`;
  assert.equal((await cli('build', fixture('go-static'), fixture('go-static-arm64'), '-o', multi)).code, 0);
  const all = await checkJson(multi);
  assert.deepEqual(all.result.platforms.map((p) => [p.platform, p.ok]).sort(), [['linux/amd64', true], ['linux/arm64/v8', true]]);
  const arm = await checkJson(multi, '--platform', 'linux/arm64');
  assert.deepEqual(arm.result.platforms.map((p) => p.platform), ['linux/arm64/v8']);
  const missing = await cli('check', `docker://${registry().host}/check/never-pushed:1`);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr.trim().split('\n').length, 1);
  assert.match(missing.stderr, /never-pushed/);
});
