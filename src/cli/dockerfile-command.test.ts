import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { FormatError, InputError, UsageError } from '../errors.js';
import { FIXTURE_SOURCES } from '../testing/fixture-key.js';
import { fixture } from '../testing/fixtures.js';
import { runDockerfile } from './dockerfile-run.js';
import { main } from './main.js';
import { withTempDir } from '../testing/temp-dir.js';


test('dockerfile command: -o writes the Dockerfile atomically, replacing an old one, leaving no temporary file', async () => {
  await withTempDir('dockerfile-cli', async (dir) => {
    const out = join(dir, 'Dockerfile');
    await writeFile(out, 'old content\n');
    assert.equal(await main(['dockerfile', fixture('go-https-client'), '-o', out]), 0);
    const text = await readFile(out, 'utf8');
    const parsed = DockerfileParser.parse(text);
    assert.deepEqual(
      parsed.getFROMs().map((f) => f.getImageName()),
      ['golang', 'scratch'],
    );
    assert.deepEqual(await readdir(dir), ['Dockerfile']);
  });
});

test('dockerfile command: a source directory gives the same final stage as its binary', async () => {
  const fromSource = DockerfileParser.parse(await runDockerfile(join(FIXTURE_SOURCES, 'go', 'loadlocation'), {}));
  const fromBinary = DockerfileParser.parse(await runDockerfile(fixture('go-loadlocation'), {}));
  const finalCopies = (d: ReturnType<typeof DockerfileParser.parse>): string[] =>
    d.getCOPYs().filter((c) => c.getRange().start.line > (d.getFROMs()[1]?.getRange().start.line ?? 0)).map((c) => c.getArgumentsContent() ?? '');
  assert.deepEqual(finalCopies(fromSource)[0], '/usr/share/zoneinfo /usr/share/zoneinfo');
  assert.deepEqual(finalCopies(fromBinary)[0], '/usr/share/zoneinfo /usr/share/zoneinfo');
});

test('dockerfile command: errors are one-line FromscratchErrors naming the input', async () => {
  await assert.rejects(runDockerfile('/nonexistent/app', {}), (e: unknown) => e instanceof InputError && e.code === 'not-found' && e.message.startsWith('/nonexistent/app: '));
  const c = fixture('c-static');
  await assert.rejects(runDockerfile(c, {}), (e: unknown) => e instanceof FormatError && e.code === 'unsupported' && e.message.startsWith(c));
  const text = join(FIXTURE_SOURCES, 'README.md');
  await assert.rejects(runDockerfile(text, {}), (e: unknown) => e instanceof FormatError && e.code === 'unsupported');
  await assert.rejects(runDockerfile(fixture('go-static'), { package: './cmd/x' }), (e: unknown) => e instanceof UsageError);
  await assert.rejects(runDockerfile(join(FIXTURE_SOURCES, 'go', 'static'), { tags: 'ok,$(rm -rf /)' }), (e: unknown) => e instanceof UsageError);
  await withTempDir('dockerfile-cli', async (dir) => {
    const out = join(dir, 'missing', 'Dockerfile');
    await assert.rejects(runDockerfile(fixture('go-static'), { output: out }), (e: unknown) => e instanceof InputError && e.code === 'not-found');
    assert.deepEqual(await readdir(dir), []);
  });
});
