/**
 * `npm run fixtures`: builds every test fixture into .cache/fixtures/<key>/,
 * where the key covers the sources, the recipes and the toolchain versions.
 * A complete set is never rebuilt; a fresh build goes to a temporary
 * directory renamed into place at the end, so tests never see half a set.
 * A lock file keeps two concurrent runs (two engineers' test runs) from
 * building the same set twice on a shared machine.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  baseEnv,
  COMPLETE_MARKER,
  currentKeyInputs,
  FIXTURE_CACHE,
  FIXTURE_SOURCES,
  fixtureDir,
  fixtureKey,
  type FixtureManifest,
  type FixtureRecord,
  goBinary,
  goEnv,
  MANIFEST_FILE,
  MissingToolError,
  REPO_ROOT,
  type ToolVersions,
} from './fixture-key.js';
import { type CArg, type CFixtureSpec, FIXED_COMMIT_ENV, FIXTURE_SPECS, type FixtureSpec, type GoFixtureSpec, goOutputName } from './fixture-specs.js';
import { formatCommand, run, ToolError } from './process.js';
import { acquireFileLock, isProcessAlive } from './file-lock.js';

/** Two builds at a time: the machines have two cores, and each `go build` runs its own parallel compiles. */
const CONCURRENCY = 2;
/** Cross-compiling the standard library for a new target takes a while on two cores; a hang does not. */
const STEP_TIMEOUT_MS = 10 * 60_000;
const LOCK_WAIT_MS = 20 * 60_000;
/** Complete sets of other keys kept besides the current one (for a checkout switched back and forth). */
const KEEP_OTHER_SETS = 2;

/** A fixture command failed: carries the command line and its stderr for the report. */
class BuildFailure extends Error {
  override name = 'BuildFailure';
}

function log(message: string): void {
  process.stderr.write(`fixtures: ${message}\n`);
}

function repoRelative(path: string): string {
  return relative(REPO_ROOT, path) || '.';
}

async function runStep(file: string, args: string[], cwd: string, env: Record<string, string>, fixture: string): Promise<void> {
  const result = await run(file, args, { cwd, env, timeoutMs: STEP_TIMEOUT_MS });
  if (result.code !== 0) {
    throw new BuildFailure(
      `building ${fixture} failed (exit ${result.code}): ${formatCommand(file, args)}\n  in ${repoRelative(cwd)}\n${result.stderr}${result.stdout}`.trimEnd(),
    );
  }
}


/** Copies a program into a new git repository with one fixed commit; returns the repository's directory. */
async function freshGitCopy(source: string, scratch: string, fixture: string): Promise<string> {
  const repo = join(scratch, 'src');
  mkdirSync(dirname(repo), { recursive: true });
  cpSync(source, repo, { recursive: true });
  const env = { ...baseEnv(), ...FIXED_COMMIT_ENV };
  await runStep('git', ['-c', 'init.defaultBranch=main', 'init', '-q'], repo, env, fixture);
  await runStep('git', ['add', '-A'], repo, env, fixture);
  await runStep('git', ['-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'fixture'], repo, env, fixture);
  return repo;
}

async function buildGo(spec: GoFixtureSpec, setDir: string, tools: ToolVersions): Promise<FixtureRecord> {
  const source = join(FIXTURE_SOURCES, 'go', spec.program);
  const output = goOutputName(spec);
  const cwd = spec.freshGitRepo ? await freshGitCopy(source, join(setDir, '.scratch', spec.name), spec.name) : source;
  const go = goBinary(spec.toolchain);
  const args = ['build', '-o', join(setDir, output), ...spec.flags, '.'];
  const env = { ...goEnv(), ...spec.env, ...(spec.freshGitRepo ? FIXED_COMMIT_ENV : {}) };
  await runStep(go, args, cwd, env, spec.name);
  return {
    path: output,
    kind: 'go',
    directory: false,
    source: repoRelative(source),
    toolchain: spec.toolchain,
    toolchainVersion: tools[spec.toolchain],
    env: { ...spec.env },
    flags: [...spec.flags],
    commands: [
      {
        cwd: spec.freshGitRepo ? `${repoRelative(source)} (copied into a new git repository with one fixed commit)` : repoRelative(source),
        argv: ['go', 'build', '-o', output, ...spec.flags, '.'],
      },
    ],
  };
}

async function buildC(spec: CFixtureSpec, setDir: string, tools: ToolVersions): Promise<FixtureRecord> {
  const source = join(FIXTURE_SOURCES, 'c', spec.program);
  const outDir = join(setDir, spec.name);
  const scratch = join(setDir, '.scratch', spec.name);
  mkdirSync(outDir, { recursive: true });
  mkdirSync(scratch, { recursive: true });
  const resolveArg = (arg: CArg): { real: string; shown: string } => {
    if (typeof arg === 'string') return { real: arg, shown: arg };
    if ('src' in arg) return { real: join(source, arg.src), shown: repoRelative(join(source, arg.src)) };
    const inOut = 'out' in arg;
    const real = inOut ? join(outDir, arg.out) : join(scratch, arg.scratch);
    // Outputs may sit in subdirectories (lib/inner/); make sure they exist.
    mkdirSync(dirname(real), { recursive: true });
    return { real, shown: inOut ? join(spec.name, arg.out) : join('(scratch)', arg.scratch) };
  };
  const commands: FixtureRecord['commands'] = [];
  for (const step of spec.steps) {
    const args = step.args.map(resolveArg);
    await runStep(step.compiler, args.map((a) => a.real), outDir, baseEnv(), spec.name);
    commands.push({ cwd: '.', argv: [step.compiler, ...args.map((a) => a.shown)] });
  }
  const compilers = [...new Set(spec.steps.map((s) => s.compiler))];
  const main = compilers.at(-1) ?? 'gcc';
  return {
    path: spec.entry === '.' ? spec.name : join(spec.name, spec.entry),
    kind: 'c',
    directory: spec.directory,
    source: repoRelative(source),
    toolchain: main,
    toolchainVersion: tools[main],
    env: {},
    flags: [],
    commands,
  };
}

async function buildOne(spec: FixtureSpec, setDir: string, tools: ToolVersions): Promise<FixtureRecord> {
  const started = Date.now();
  const record = spec.kind === 'go' ? await buildGo(spec, setDir, tools) : await buildC(spec, setDir, tools);
  if (!existsSync(join(setDir, record.path))) {
    throw new BuildFailure(`building ${spec.name}: the build succeeded but ${record.path} was not written`);
  }
  log(`built ${spec.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return record;
}

/** Runs `work` over `items`, at most `limit` at once; the first failure stops new work and is rethrown once running work ends. */
async function inPool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: unknown = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T);
      } catch (e) {
        if (failure === null) failure = e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== null) throw failure;
  return results;
}

/**
 * Takes the build lock for `key`. Returns false when another process
 * finished the same set while this one waited (nothing left to do).
 */
function acquireLock(key: string, lockPath: string): Promise<boolean> {
  return acquireFileLock(lockPath, {
    done: () => existsSync(join(fixtureDir(key), COMPLETE_MARKER)),
    waitMs: LOCK_WAIT_MS,
    pollMs: 500,
    gaveUp: (holder) => new BuildFailure(`gave up waiting for the fixture build of process ${holder} (lock ${repoRelative(lockPath)})`),
    onWait: (holder) => log(`waiting for process ${holder}, which is building the same fixtures`),
    onStale: (holder) => log(`removing the stale lock of process ${holder}`),
  });
}

/** Removes the temporary directories of builds whose process is gone (crashed or killed). */
function removeDeadTemps(): void {
  for (const entry of readdirSync(FIXTURE_CACHE)) {
    const temp = /^[0-9a-f]{64}\.tmp-(\d+)$/.exec(entry);
    if (temp && !isProcessAlive(Number(temp[1]))) rmSync(join(FIXTURE_CACHE, entry), { recursive: true, force: true });
  }
}

/**
 * Removes complete sets of other keys beyond the few most recent. Runs only
 * after a successful build, so a failing build (say, with a broken toolchain
 * under test) never removes the set other tests are reading.
 */
function pruneOldSets(currentKey: string): void {
  const complete: { dir: string; mtime: number }[] = [];
  for (const entry of readdirSync(FIXTURE_CACHE)) {
    if (!/^[0-9a-f]{64}$/.test(entry) || entry === currentKey) continue;
    const marker = join(FIXTURE_CACHE, entry, COMPLETE_MARKER);
    if (existsSync(marker)) complete.push({ dir: join(FIXTURE_CACHE, entry), mtime: statSync(marker).mtimeMs });
  }
  complete.sort((a, b) => b.mtime - a.mtime);
  for (const old of complete.slice(KEEP_OTHER_SETS)) rmSync(old.dir, { recursive: true, force: true });
}

function repoRelativeEnv(env: Record<string, string>): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name === 'PATH' || name === 'HOME' || name === 'TMPDIR') continue;
    shown[name] = value.startsWith(REPO_ROOT) ? repoRelative(value) : value;
  }
  return shown;
}

async function buildSet(key: string, tools: ToolVersions): Promise<void> {
  const target = fixtureDir(key);
  const temp = `${target}.tmp-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { recursive: true });
  const started = Date.now();
  try {
    log(`building ${FIXTURE_SPECS.length} fixtures into ${repoRelative(target)}`);
    const records = await inPool(FIXTURE_SPECS, CONCURRENCY, (spec) => buildOne(spec, temp, tools));
    rmSync(join(temp, '.scratch'), { recursive: true, force: true });
    const buildSeconds = Math.round((Date.now() - started) / 100) / 10;
    const manifest: FixtureManifest = {
      key,
      goEnv: repoRelativeEnv(goEnv()),
      tools,
      buildSeconds,
      fixtures: Object.fromEntries(records.map((record, i) => [FIXTURE_SPECS[i]?.name ?? '', record])),
    };
    writeFileSync(join(temp, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    writeFileSync(join(temp, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
    // A directory left by a crash between rename and marker cannot exist (the
    // marker is written first), but one from an older layout might: clear it.
    rmSync(target, { recursive: true, force: true });
    renameSync(temp, target);
    log(`built ${records.length} fixtures in ${buildSeconds} s`);
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    throw e;
  }
}

export async function buildFixtures(): Promise<string> {
  const inputs = currentKeyInputs();
  const key = fixtureKey(inputs);
  const target = fixtureDir(key);
  if (existsSync(join(target, COMPLETE_MARKER))) return target;
  mkdirSync(FIXTURE_CACHE, { recursive: true });
  const lockPath = join(FIXTURE_CACHE, `${key}.lock`);
  if (!(await acquireLock(key, lockPath))) return target;
  try {
    if (existsSync(join(target, COMPLETE_MARKER))) return target;
    removeDeadTemps();
    await buildSet(key, inputs.tools);
    pruneOldSets(key);
    return target;
  } finally {
    rmSync(lockPath, { force: true });
  }
}

async function main(): Promise<void> {
  try {
    const dir = await buildFixtures();
    log(`ready: ${repoRelative(dir)}`);
  } catch (e) {
    if (e instanceof BuildFailure || e instanceof MissingToolError || e instanceof ToolError) {
      process.stderr.write(`fixtures: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

/** True when this module is the script node was started with (not imported by a test). */
function isEntryPoint(): boolean {
  const started = process.argv[1];
  if (!started) return false;
  try {
    return realpathSync(started) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) await main();
