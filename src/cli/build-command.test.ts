import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fixture } from '../testing/fixtures.js';
import { run } from '../testing/process.js';
import { BIN } from '../testing/cli.js';

/** `fromscratch build` end to end through the installed entry point, read back with skopeo. */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-build-cli-'));
after(() => rm(work, { recursive: true, force: true }));
const env = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', ...extra });

test('build --json prints {ref, digest, platforms}; args after -- become Cmd; --add repeats; SOURCE_DATE_EPOCH sets created', async () => {
  const layout = join(work, 'cli-layout');
  const extraA = join(work, 'a.txt');
  const extraB = join(work, 'b.txt');
  await writeFile(extraA, 'A');
  await writeFile(extraB, 'BB');
  const result = await run(
    process.execPath,
    [BIN, 'build', fixture('go-static'), '-o', `oci:${layout}:v1`, '--json', '--add', `${extraA}:/data/a.txt`, '--add', `${extraB}:/data/b.txt`, '--', '--flag', 'value'],
    { env: env({ SOURCE_DATE_EPOCH: '86400' }) },
  );
  assert.equal(result.code, 0, result.stderr);
  const json = JSON.parse(result.stdout) as { ref: string; digest: string; platforms: { platform: string; digest: string; size: number }[] };
  assert.equal(json.ref, `oci:${layout}:v1`);
  assert.equal(json.platforms[0]?.platform, 'linux/amd64');
  const skopeo = await run('skopeo', ['inspect', `oci:${layout}:v1`], { env: env() });
  assert.equal(skopeo.code, 0, skopeo.stderr);
  assert.equal((JSON.parse(skopeo.stdout) as { Digest: string }).Digest, json.digest);
  const config = await run('skopeo', ['inspect', '--config', `oci:${layout}:v1`], { env: env() });
  const parsed = JSON.parse(config.stdout) as { created: string; config: { Cmd: string[]; Entrypoint: string[] } };
  assert.deepEqual(parsed.config.Cmd, ['--flag', 'value']);
  assert.deepEqual(parsed.config.Entrypoint, ['/app/go-static']);
  assert.equal(parsed.created, '1970-01-02T00:00:00Z');
  const manifest = JSON.parse((await run('skopeo', ['inspect', '--raw', `oci:${layout}:v1`], { env: env() })).stdout) as { layers: { digest: string }[] };
  const system = join(layout, 'blobs', 'sha256', (manifest.layers[0]?.digest ?? '').slice('sha256:'.length));
  const listing = (await run('tar', ['-tzf', system], { env: env() })).stdout.split('\n');
  assert.ok(listing.includes('data/a.txt') && listing.includes('data/b.txt'), listing.join(' '));
});

test('text output names what went in and why; a missing -o is a one-line usage error with exit 2', async () => {
  const text = await run(process.execPath, [BIN, 'build', fixture('go-loadlocation'), '-o', `oci-archive:${join(work, 'text.tar')}`], { env: env() });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /\/usr\/share\/zoneinfo\/ \(\d+ files\)\s+tzdata/);
  assert.match(text.stdout, /\/app\/go-loadlocation\s+binary/);
  const missing = await run(process.execPath, [BIN, 'build', fixture('go-static')], { env: env() });
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr.trim().split('\n').length, 1);
  assert.match(missing.stderr, /-o/);
});
