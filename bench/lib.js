// Helpers shared by the bench sections (bench/<section>.js): wall time,
// peak memory and the one output line format, so every figure reads alike.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Built inputs (big binaries, images, tars) kept between bench runs. */
export const CACHE = join(REPO, '.cache', 'bench');
/** The CLI measured: this checkout's, or another build's (BENCH_CLI=path/to/bin/fromscratch.cjs, e.g. an earlier commit in a worktree). */
export const CLI = process.env.BENCH_CLI ? resolve(process.env.BENCH_CLI) : join(REPO, 'bin', 'fromscratch.cjs');
export const GO = process.env.GO123 ?? '/usr/lib/go-1.23/bin/go';
export const RUNS = Number(process.env.BENCH_RUNS ?? 7);

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Wall time in ms of one run of `argv`; exit codes 0 and 1 count as success. `before` runs untimed first. */
function once(argv, { before, ...options } = {}) {
  before?.();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30, ...options });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** Median wall time in ms of `argv` over RUNS runs (after one warm-up); options.before runs untimed before each. */
export function wall(argv, options = {}) {
  once(argv, options);
  return median(Array.from({ length: RUNS }, () => once(argv, options)));
}

/**
 * Wall times of several commands run in turn, RUNS rounds (after one
 * warm-up round): on a shared machine the load drifts, and commands timed
 * one after the other in blocks would each get a different share of it.
 * Each is { ms: its median, rounds: its time in each round }, so row() can
 * take the ratio round by round, between commands that ran back to back.
 */
export function walls(...argvs) {
  for (const argv of argvs) once(argv);
  const times = argvs.map(() => []);
  for (let i = 0; i < RUNS; i++) argvs.forEach((argv, k) => times[k].push(once(argv)));
  return times.map((rounds) => ({ ms: median(rounds), rounds }));
}

/** A figure's value: a number, or a timing from walls(). */
function valueOf(figure) {
  return typeof figure === 'number' ? figure : figure.ms;
}

/** Peak resident memory in KiB, from GNU time. */
export function peakKiB(argv) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  return Number(lines[lines.length - 1]);
}

/**
 * Instructions `argv` runs, counted by valgrind's callgrind (undefined when
 * valgrind is not installed): unlike wall time, the count is the same from
 * run to run whatever else the machine does, so a change of a few percent
 * shows. Node's start has one random term, the primality test behind its
 * hash seed (detail::sprp, 5-30M instructions), which is subtracted.
 */
export function instructions(argv, env = process.env) {
  const out = join(CACHE, `callgrind.${process.pid}.out`);
  try {
    const run = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, ...argv], { stdio: 'ignore', env });
    if (run.error || (run.status !== 0 && run.status !== 1)) return undefined;
    const annotated = spawnSync('callgrind_annotate', [out], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const count = (pattern) => Number((pattern.exec(annotated.stdout)?.[1] ?? '0').replaceAll(',', ''));
    return count(/^\s*([\d,]+) .*PROGRAM TOTALS/m) - count(/^\s*([\d,]+) .*detail::sprp/m);
  } finally {
    rmSync(out, { force: true });
  }
}

export function ratio(a, b) {
  return (a / b).toFixed(2) + 'x';
}

/**
 * One figure: ours against theirs, with the ratio. For two timings from one
 * walls() call the ratio is the median of the per-round ratios (a load
 * spike hits both commands of a round, not one median), else the ratio of
 * the values.
 */
export function row(name, ours, theirs, theirName, unit = 'ms') {
  const paired = typeof ours === 'object' && typeof theirs === 'object' && ours.rounds.length === theirs.rounds.length;
  const shown = paired ? `${median(ours.rounds.map((t, i) => t / theirs.rounds[i])).toFixed(2)}x` : ratio(valueOf(ours), valueOf(theirs));
  console.log(`${name.padEnd(46)} ${valueOf(ours).toFixed(1).padStart(8)} ${unit}  vs ${theirName.padEnd(28)} ${valueOf(theirs).toFixed(1).padStart(8)} ${unit}  ratio ${shown}`);
}

/** A shell pipeline as an argv for wall() and friends; a failing stage fails it. */
export function shell(script) {
  return ['bash', '-c', `set -o pipefail; ${script}`];
}

/**
 * The bench's Go program (bench/go/big) with an embedded deterministic
 * pseudo-random payload of `mb` MB, so it does not compress away: built once
 * under .cache/bench/big-<mb>mb and shared by every section.
 */
export function bigGoBinary(mb) {
  const out = join(CACHE, `big-${mb}mb`);
  if (existsSync(out)) return out;
  const src = join(CACHE, `src-${mb}`);
  mkdirSync(src, { recursive: true });
  for (const f of ['go.mod', 'main.go']) copyFileSync(join(REPO, 'bench', 'go', 'big', f), join(src, f));
  const payload = Buffer.alloc(mb * 1024 * 1024);
  let seed = Buffer.alloc(0);
  for (let off = 0; off < payload.length; off += 64) {
    seed = createHash('sha512').update(seed).update(String(off)).digest();
    seed.copy(payload, off);
  }
  writeFileSync(join(src, 'payload.bin'), payload);
  execFileSync(GO, ['build', '-trimpath', '-o', out, '.'], {
    cwd: src,
    env: { ...process.env, CGO_ENABLED: '0', GOPROXY: 'off', GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', GOCACHE: join(REPO, '.cache', 'go-build') },
    stdio: 'inherit',
  });
  return out;
}
