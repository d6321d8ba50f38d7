import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fixture } from '../testing/fixtures.js';
import { run } from '../testing/process.js';
import { BIN } from '../testing/cli.js';

/** `fromscratch check` end to end: the JSON contract, every platform of an index, and the exit codes. */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-check-cli-'));
after(() => rm(work, { recursive: true, force: true }));
const cli = (...args: string[]) => run(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });

interface CheckJson {
  image: string;
  platforms: { platform: string; entrypoint: { argv: string[]; path: string | null }; ok: boolean; findings: { id: string; severity: string; message: string; fix: string | null }[] }[];
}

test('check --json on a multi-platform index checks every platform, or the one --platform names', async () => {
  const layout = join(work, 'multi');
  const built = await cli('build', fixture('go-static'), fixture('go-static-arm64'), '-o', `oci:${layout}:v1`);
  assert.equal(built.code, 0, built.stderr);
  const all = await cli('check', '--json', `oci:${layout}:v1`);
  assert.equal(all.code, 0, all.stderr);
  const parsed = JSON.parse(all.stdout) as CheckJson;
  assert.equal(parsed.image, `oci:${layout}:v1`);
  assert.deepEqual(parsed.platforms.map((p) => [p.platform, p.ok, p.findings.length]).sort(), [['linux/amd64', true, 0], ['linux/arm64/v8', true, 0]]);
  const one = JSON.parse((await cli('check', '--json', '--platform', 'linux/arm64', `oci:${layout}:v1`)).stdout) as CheckJson;
  assert.deepEqual(one.platforms.map((p) => p.platform), ['linux/arm64/v8']);
  const text = await cli('check', `oci:${layout}:v1`);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /linux\/amd64: ok/);
});

test('check exits 1 on an error finding (0 with --fail-on none) and 2 for an input error', async () => {
  const layout = join(work, 'https');
  const built = await cli('build', fixture('go-https-client'), '--ca-source', 'none', '-o', `oci:${layout}:v1`);
  assert.equal(built.code, 0, built.stderr);
  const failing = await cli('check', '--json', `oci:${layout}:v1`);
  assert.equal(failing.code, 1, failing.stderr);
  const parsed = JSON.parse(failing.stdout) as CheckJson;
  assert.deepEqual(parsed.platforms[0]?.findings.map((f) => [f.id, f.severity]), [['ca-certificates-missing', 'error']]);
  assert.ok(parsed.platforms[0]?.findings[0]?.fix);
  assert.equal((await cli('check', '--fail-on', 'none', `oci:${layout}:v1`)).code, 0);
  const text = await cli('check', `oci:${layout}:v1`);
  assert.match(text.stdout, /error ca-certificates-missing: /);
  const missing = await cli('check', `oci:${join(work, 'nothing-here')}:v1`);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nothing-here/);
});
