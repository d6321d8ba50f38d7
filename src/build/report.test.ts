import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fixture } from '../testing/fixtures.js';
import { run } from '../testing/process.js';
import type { BuildJson, ReportedFile } from './report.js';
import { BIN } from '../testing/cli.js';

/**
 * The build report against the image itself: every file it names is in the
 * layer it names with the size it gives, every file in our layers is named,
 * and the layer sizes are the blobs' sizes on disk and gunzipped.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-report-test-'));
after(() => rm(work, { recursive: true, force: true }));
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };

async function sh(script: string): Promise<string> {
  const result = await run('bash', ['-c', `set -o pipefail; ${script}`], { env });
  assert.equal(result.code, 0, `${script}: ${result.stderr}`);
  return result.stdout;
}

/** Regular files of a gzip layer: path (absolute, as in the report) → size, from tar's own listing. */
async function regularFiles(blob: string): Promise<Map<string, number>> {
  const files = new Map<string, number>();
  for (const line of (await sh(`tar -tvzf '${blob}'`)).trim().split('\n')) {
    const fields = line.split(/\s+/);
    if (!line.startsWith('-')) continue;
    files.set(`/${fields.slice(5).join(' ')}`, Number(fields[2]));
  }
  return files;
}

for (const name of ['go-net-cgo', 'go-loadlocation']) {
  test(`build --json of ${name}: files, their layers and sizes, and the layer sizes match the image`, async () => {
    const layout = join(work, name);
    const result = await run(process.execPath, [BIN, 'build', fixture(name), '-o', `oci:${layout}:t`, '--json'], { env });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as BuildJson;
    const platform = report.platforms[0];
    assert.ok(platform !== undefined);
    assert.deepEqual(platform.layers.map((l) => l.layer), ['system', 'app']);
    for (const layer of platform.layers) {
      const blob = join(layout, 'blobs', 'sha256', layer.digest.slice(7));
      assert.equal((await stat(blob)).size, layer.size);
      assert.equal(Number((await sh(`gzip -dc '${blob}' | wc -c`)).trim()), layer.uncompressedSize);
      const inTar = await regularFiles(blob);
      const reported: readonly ReportedFile[] = platform.files.filter((f) => f.layer === layer.layer && f.type === 'file');
      assert.deepEqual(new Map(reported.map((f) => [f.path, f.size])), inTar, `${layer.layer} layer: the report names exactly its files`);
    }
    const sum = platform.layers.reduce((n, l) => n + l.size, 0);
    assert.ok(platform.size > sum, 'the stored size counts the layers plus manifest and config');
    const why = new Map(platform.files.map((f) => [f.path, f.why]));
    assert.equal(why.get(`/app/${name}`), 'binary');
    assert.match(why.get('/etc/passwd') ?? '', /runs as 65532:65532/);
    if (name === 'go-net-cgo') {
      assert.equal(why.get('/lib/x86_64-linux-gnu/libc.so.6'), `library libc.so.6 needed by /app/${name}`);
      assert.match(why.get('/lib64/ld-linux-x86-64.so.2') ?? '', /interpreter/);
      assert.match(why.get('/etc/nsswitch.conf') ?? '', /^nsswitch: getaddrinfo/);
    } else {
      assert.match(why.get('/usr/share/zoneinfo/Europe/Paris') ?? '', /^tzdata: time\.LoadLocation/);
    }
  });
}

test('the text report shows each layer stored and uncompressed, the files biggest first with why, zoneinfo as one line', async () => {
  const result = await run(process.execPath, [BIN, 'build', fixture('go-loadlocation'), '-o', `oci:${join(work, 'text')}:t`], { env });
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n');
  assert.ok(lines.some((l) => /layer system sha256:[0-9a-f]{12}\s+[\d.]+ [kM]?B stored, [\d.]+ [kM]?B uncompressed/.test(l)), result.stdout);
  assert.ok(lines.some((l) => /layer app {4}sha256:/.test(l)), result.stdout);
  const files = lines.filter((l) => /^\s+[\d.]+ [kM]?B {2}\//.test(l));
  assert.match(files[0] ?? '', /\/app\/go-loadlocation {2}binary$/);
  assert.ok(files.some((l) => /\/usr\/share\/zoneinfo\/ \(\d+ files\) {2}tzdata: time\.LoadLocation/.test(l)), result.stdout);
  assert.equal(result.stderr, '', 'no progress off a terminal');
});
