import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { layerFromTar, memoryImage } from '../image/memory.js';
import type { ContainerConfig, Image } from '../image/types.js';
import type { TarInput } from '../layer/index.js';
import { REPO_ROOT } from './fixture-key.js';
import { tarBytes } from './image-fixtures.js';
import { run, ToolError } from './process.js';
import { acquireFileLock } from './file-lock.js';
import { layerFromTarFile } from './tar-file-layer.js';

/**
 * A real distribution root for `check`'s tests: Debian bookworm's minbase
 * made by debootstrap, packed by tar into one uncompressed layer. Built once
 * by `npm run fixtures` (build-debian-root.ts, after the binary fixtures;
 * a test that finds it missing builds it too) into
 * .cache/debootstrap-bookworm/<key>/ (the key
 * covers this recipe and debootstrap's version) and reused after; needs root
 * and the Debian mirror, as the test machines have. About a minute to build.
 */

const CACHE = join(REPO_ROOT, '.cache', 'debootstrap-bookworm');
const RECIPE = {
  suite: 'bookworm',
  variant: 'minbase',
  mirror: 'http://deb.debian.org/debian',
  // Device nodes, mounts' contents and apt's caches are not what images carry.
  tar: ['--numeric-owner', '--sort=name', '--exclude=./dev/*', '--exclude=./proc/*', '--exclude=./sys/*', '--exclude=./var/cache/apt/*', '--exclude=./var/lib/apt/lists/*'],
  revision: 1,
};
const LAYER_FILE = 'layer.tar';
const DIGEST_FILE = 'layer.digest';
const STEP_TIMEOUT_MS = 10 * 60_000;
const LOCK_WAIT_MS = 15 * 60_000;

export interface DebianRoot {
  /** The uncompressed tar of the whole root file system. */
  readonly tar: string;
  readonly digest: string;
}

async function cacheKey(): Promise<string> {
  const version = await run('dpkg-query', ['-W', '-f=${Version}', 'debootstrap']);
  if (version.code !== 0 || version.stdout === '') throw new ToolError('debootstrap is not installed: run scripts/setup-test-machine.sh');
  return createHash('sha256').update(JSON.stringify({ ...RECIPE, debootstrap: version.stdout })).digest('hex').slice(0, 32);
}

/** Mount points below `dir` (debootstrap mounts /proc and /sys in the chroot while it installs). */
function mountsBelow(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${dir}/`));
}

async function removeTree(dir: string): Promise<void> {
  for (const m of mountsBelow(dir).reverse()) await run('umount', ['-l', m]);
  // Never delete through a mount that is still there: that would reach the host's /proc or /sys.
  if (mountsBelow(dir).length > 0) throw new ToolError(`${dir}: mounts remain below it; not removing it`);
  rmSync(dir, { recursive: true, force: true });
}

/** The cached Debian root, built first when missing (or waiting for another process that builds it). */
export async function ensureDebianRoot(log: (message: string) => void = () => undefined): Promise<DebianRoot> {
  const key = await cacheKey();
  const dir = join(CACHE, key);
  const found = (): DebianRoot | undefined =>
    existsSync(join(dir, DIGEST_FILE)) ? { tar: join(dir, LAYER_FILE), digest: readFileSync(join(dir, DIGEST_FILE), 'utf8').trim() } : undefined;
  const ready = found();
  if (ready) return ready;
  mkdirSync(CACHE, { recursive: true });
  const lock = join(CACHE, `${key}.lock`);
  const acquired = await acquireFileLock(lock, {
    done: () => found() !== undefined,
    waitMs: LOCK_WAIT_MS,
    pollMs: 1000,
    gaveUp: (holder) => new ToolError(`gave up waiting for process ${holder}, which builds the Debian root (${lock})`),
  });
  if (!acquired) {
    // Another process built it while this one waited.
    const built = found();
    if (built) return built;
    throw new ToolError(`${dir}: the Debian root another process built is gone`);
  }
  try {
    const done = found();
    if (done) return done;
    return await build(dir, key, log);
  } finally {
    rmSync(lock, { force: true });
  }
}

async function build(dir: string, key: string, log: (message: string) => void): Promise<DebianRoot> {
  const temp = join(CACHE, `tmp-${process.pid}`);
  await removeTree(temp);
  mkdirSync(temp, { recursive: true });
  try {
    const root = join(temp, 'root');
    log(`debootstrap --variant=${RECIPE.variant} ${RECIPE.suite} (about a minute)`);
    const made = await run('debootstrap', [`--variant=${RECIPE.variant}`, RECIPE.suite, root, RECIPE.mirror], { timeoutMs: STEP_TIMEOUT_MS });
    if (made.code !== 0) throw new ToolError(`debootstrap failed (exit ${made.code}): ${(made.stderr + made.stdout).trim().split('\n').slice(-5).join('\n')}`);
    const tar = join(temp, LAYER_FILE);
    const packed = await run('tar', [...RECIPE.tar, '-C', root, '-cf', tar, '.'], { timeoutMs: STEP_TIMEOUT_MS });
    if (packed.code !== 0) throw new ToolError(`tar of the Debian root failed: ${packed.stderr}`);
    await removeTree(root);
    const layer = await layerFromTarFile(tar);
    writeFileSync(join(temp, DIGEST_FILE), `${layer.diffId}\n`);
    // Other keys' roots are a recipe or debootstrap ago: not kept.
    for (const name of readdirSync(CACHE)) if (name !== key && !name.endsWith('.lock') && !name.startsWith('tmp-')) rmSync(join(CACHE, name), { recursive: true, force: true });
    renameSync(temp, dir);
    return { tar: join(dir, LAYER_FILE), digest: layer.diffId };
  } catch (e) {
    await removeTree(temp);
    throw e;
  }
}

/** The Debian root as an amd64 image with `config`, and `upper` (if any) as a second layer on top. */
export async function debianImage(config: ContainerConfig, upper: readonly TarInput[] = []): Promise<Image> {
  const root = await ensureDebianRoot();
  const base = await layerFromTarFile(root.tar, root.digest);
  const layers = upper.length > 0 ? [base, layerFromTar(await tarBytes(upper))] : [base];
  return memoryImage({ config: { architecture: 'amd64', os: 'linux', config }, layers });
}

