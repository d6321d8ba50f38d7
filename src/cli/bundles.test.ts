import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fixture } from '../testing/fixtures.js';
import { BIN } from '../testing/cli.js';
import { REPO_ROOT } from '../testing/fixture-key.js';
import { run } from '../testing/process.js';

/**
 * bin/fromscratch.cjs starts `inspect` from a bundle of inspect's own code
 * and every other command from the whole CLI's (scripts/bundle-cli.js).
 * Which bundle starts must never change what a command does: the inspect
 * bundle loads inspect-more for what only some inputs need (libraries,
 * Mach-O, PE, Go source), and hands what it does not hold (an input inside
 * an image) over to the whole CLI.
 */

const BUNDLES = join(dirname(BIN), '..', 'dist', 'bundle');
const work = await mkdtemp(join(tmpdir(), 'fromscratch-bundles-'));
after(() => rm(work, { recursive: true, force: true }));
const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };

/** The command line through bin, which picks the bundle. */
const cli = (args: string[], runEnv = env) => run(process.execPath, [BIN, ...args], { env: runEnv });
/** The command line run by the whole CLI's bundle, whatever the command (-e puts the arguments from argv[1]). */
const wholeCli = (args: string[], runEnv = env) =>
  run(process.execPath, ['-e', `require(${JSON.stringify(BIN)}).loadBundle('fromscratch').run()`, 'whole-cli', ...args], { env: runEnv });

/** The source modules a bundle holds, by the path comments esbuild writes before each. */
async function bundledModules(name: string): Promise<string[]> {
  const text = await readFile(join(BUNDLES, `${name}.cjs`), 'latin1');
  return [...text.matchAll(/^\/\/ (src\/[\w/.-]+\.ts)$/gm)].map((m) => m[1] as string);
}

test('the inspect bundles hold inspect of files and directories, each module once, and no image, registry, layer, build, check or dockerfile code', async () => {
  const inspect = await bundledModules('inspect');
  const more = await bundledModules('inspect-more');
  const whole = await bundledModules('fromscratch');
  for (const dir of ['src/image/', 'src/registry/', 'src/layer/', 'src/build/', 'src/check/', 'src/dockerfile/', 'src/rootfs/']) {
    assert.ok(whole.some((m) => m.startsWith(dir)), `the whole CLI holds ${dir}`);
    assert.deepEqual([...inspect, ...more].filter((m) => m.startsWith(dir)), [], `the inspect bundles hold nothing of ${dir}`);
  }
  for (const m of ['src/elf/parse.ts', 'src/golang/packages.ts', 'src/cli/inspect-command.ts', 'src/cli/inspect-worker.ts', 'src/cli/render-inspect.ts']) {
    assert.ok(inspect.includes(m), `the inspect bundle holds ${m}`);
  }
  for (const m of ['src/linker/resolve.ts', 'src/linker/ld-so-cache.ts', 'src/macho/parse.ts', 'src/pe/parse.ts', 'src/analysis/go-source.ts']) {
    assert.ok(more.includes(m), `inspect-more holds ${m}`);
    assert.ok(!inspect.includes(m), `the inspect bundle leaves ${m} to inspect-more`);
  }
  // inspect-more takes the inspect bundle's instance of every module both use (one FormatError class, one of each cache).
  assert.deepEqual(more.filter((m) => inspect.includes(m)), [], 'no module is in both');
  assert.ok(inspect.length < whole.length * 0.6, `${inspect.length} of the whole CLI's ${whole.length} modules`);
});

test('a static Go binary is inspected without inspect-more; a dynamic one, a Mach-O and a PE load it', async () => {
  // A copy of bin and the bundles without inspect-more.cjs: what needs it fails there, what does not runs as usual.
  const copy = join(work, 'without-more');
  await mkdir(join(copy, 'bin'), { recursive: true });
  await cp(dirname(BIN), join(copy, 'bin'), { recursive: true });
  await cp(BUNDLES, join(copy, 'dist', 'bundle'), { recursive: true, preserveTimestamps: true });
  await rm(join(copy, 'dist', 'bundle', 'inspect-more.cjs'));
  const copyBin = join(copy, 'bin', basename(BIN));
  const staticGo = ['inspect', '--json', fixture('go-static')];
  const [withoutMore, withMore] = await Promise.all([run(process.execPath, [copyBin, ...staticGo], { env }), cli(staticGo)]);
  assert.equal(withoutMore.code, 0, withoutMore.stderr);
  assert.equal(withoutMore.stdout, withMore.stdout);
  for (const name of ['c-dynamic', 'go-darwin-amd64', 'go-windows-amd64']) {
    const needsMore = await run(process.execPath, [copyBin, 'inspect', '--json', fixture(name)], { env });
    assert.match(needsMore.stdout + needsMore.stderr, /inspect-more\.cjs/, name);
  }
});

test('inspect gives the same output, exit code and errors from either bundle, for files, a scan with helper threads and a binary inside an image', async () => {
  const layout = join(work, 'static');
  const built = await cli(['build', fixture('go-static'), '-o', `oci:${layout}:v1`]);
  assert.equal(built.code, 0, built.stderr);
  const cases = [
    ['inspect', '--json', fixture('go-static'), fixture('go-net-cgo')],
    ['inspect', fixture('go-static')],
    ['inspect', '--json', `oci:${layout}:v1:/app/go-static`],
    ['inspect', `oci:${layout}:v1:/app/go-static`, fixture('go-static')],
    ['inspect', `oci:${layout}:v1:/no/such/file`],
    ['inspect', join(work, 'missing')],
    // What inspect-more holds: the library search, Mach-O, PE, and a Go source directory (the go command).
    ['inspect', fixture('c-origin'), fixture('go-darwin-amd64')],
    ['inspect', '--json', fixture('c-dynamic'), fixture('go-windows-amd64'), fixture('go-static')],
    ['inspect', '--json', join(REPO_ROOT, 'fixtures', 'go', 'httpsclient')],
  ];
  for (const args of cases) {
    const [viaBin, whole] = await Promise.all([cli(args), wholeCli(args)]);
    assert.equal(viaBin.stdout, whole.stdout, args.join(' '));
    assert.equal(viaBin.stderr, whole.stderr, args.join(' '));
    assert.equal(viaBin.code, whole.code, args.join(' '));
  }
  const scan = ['inspect', '--json', '--fail-on', 'none', dirname(fixture('go-static'))];
  // Helper threads run the inspect bundle under either.
  const withHelpers = { ...env, FROMSCRATCH_WORKERS: '2' };
  const [scanViaBin, scanWhole, scanOneThread] = await Promise.all([cli(scan, withHelpers), wholeCli(scan, withHelpers), cli(scan, { ...env, FROMSCRATCH_WORKERS: '0' })]);
  assert.equal(scanViaBin.code, 0, scanViaBin.stderr);
  assert.ok(scanViaBin.stdout.split('\n').length > 20);
  assert.equal(scanWhole.stdout, scanViaBin.stdout, 'a scan from the whole CLI, with helpers on the inspect bundle');
  assert.equal(scanOneThread.stdout, scanViaBin.stdout, 'the same scan on one thread');
  const inImage = await cli(['inspect', '--json', `oci:${layout}:v1:/app/go-static`]);
  assert.equal(inImage.code, 0, inImage.stderr);
  assert.match(inImage.stdout, /"linkage":"static"/);
  const missing = await cli(['inspect', `oci:${layout}:v1:/no/such/file`]);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
});

test('bin sets its V8 flags without a warning, and still starts when process.binding is refused (node:v8 then)', async () => {
  const plain = await cli(['inspect', '--json', fixture('go-static')]);
  assert.equal(plain.code, 0);
  assert.equal(plain.stderr, '');
  const refuse = join(work, 'refuse-binding.cjs');
  await writeFile(refuse, "process.binding = () => { throw new Error('process.binding is gone'); };\n");
  const refused = await run(process.execPath, ['-r', refuse, BIN, 'inspect', '--json', fixture('go-static')], { env });
  assert.equal(refused.code, 0, refused.stderr);
  assert.equal(refused.stderr, '');
  assert.equal(refused.stdout, plain.stdout);
});
