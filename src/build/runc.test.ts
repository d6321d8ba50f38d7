import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fixture } from '../testing/fixtures.js';
import { run } from '../testing/process.js';
import { runBundle, unpackBundle } from '../testing/runc.js';
import { buildImage } from './build.js';

/**
 * The proof that matters: the built image, unpacked by umoci, runs under
 * runc with nothing but what build put in it. Expected output comes from
 * running the same binary on the host (which has every file it could want),
 * or from the users build generated.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-runc-test-'));
after(() => rm(work, { recursive: true, force: true }));

let builds = 0;
async function buildAndRun(name: string, options: { user?: string } = {}): Promise<{ stdout: string; stderr: string; code: number | null }> {
  builds++;
  const layout = join(work, `${name}-${builds}-layout`);
  await buildImage([fixture(name)], { output: `oci:${layout}:test`, ...options });
  const bundle = join(work, `${name}-${builds}-bundle`);
  await unpackBundle(layout, 'test', bundle);
  return runBundle(bundle);
}

async function onHost(name: string): Promise<string> {
  const result = await run(fixture(name), []);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

test('a static Go binary runs FROM scratch and prints what it prints on the host', async () => {
  const result = await buildAndRun('go-static');
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, await onHost('go-static'));
});

test('os/user finds the running user: nonroot (65532) from the generated /etc/passwd', async () => {
  const result = await buildAndRun('go-osuser-nocgo');
  assert.equal(result.code, 0, result.stderr);
  // The program prints the current user's name and root's home directory.
  assert.equal(result.stdout, 'nonroot /root\n');
});

test('--user root runs as root', async () => {
  const result = await buildAndRun('go-osuser-nocgo', { user: '0:0' });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'root /root\n');
});

test('time.LoadLocation finds its zone in the copied zoneinfo', async () => {
  const result = await buildAndRun('go-loadlocation');
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, await onHost('go-loadlocation'));
});

test('a dynamic cgo binary runs FROM scratch with only its interpreter, library closure and NSS files', async () => {
  const result = await buildAndRun('go-net-cgo');
  assert.equal(result.code, 0, result.stderr);
  // net.LookupHost("localhost") through glibc's getaddrinfo, answered from the generated /etc/hosts.
  assert.match(result.stdout, /127\.0\.0\.1/);
});

test('a dynamic C program runs FROM scratch with its closure', async () => {
  const result = await buildAndRun('c-dynamic');
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, await onHost('c-dynamic'));
});
