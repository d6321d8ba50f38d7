// Helpers shared by the bench sections (bench/<section>.js): wall time,
// peak memory and the one output line format, so every figure reads alike.
import { spawnSync } from 'node:child_process';

export const RUNS = Number(process.env.BENCH_RUNS ?? 9);

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Wall time in ms of one run of `argv`; exit codes 0 and 1 count as success. */
function once(argv, options = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30, ...options });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** Median wall time in ms of `argv` over RUNS runs (after one warm-up). */
export function wall(argv, options = {}) {
  once(argv, options);
  return median(Array.from({ length: RUNS }, () => once(argv, options)));
}

/**
 * Median wall times of several commands run in turn, RUNS rounds (after one
 * warm-up round): on a shared machine the load drifts, and commands timed
 * one after the other in blocks would each get a different share of it.
 */
export function walls(...argvs) {
  for (const argv of argvs) once(argv);
  const times = argvs.map(() => []);
  for (let i = 0; i < RUNS; i++) argvs.forEach((argv, k) => times[k].push(once(argv)));
  return times.map(median);
}

/** Peak resident memory in KiB, from GNU time. */
export function peakKiB(argv) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const lines = r.stderr.trim().split('\n');
  return Number(lines[lines.length - 1]);
}

export function ratio(a, b) {
  return (a / b).toFixed(2) + 'x';
}

/** One figure: ours against theirs, with the ratio. */
export function row(name, ours, theirs, theirName, unit = 'ms') {
  console.log(`${name.padEnd(46)} ${ours.toFixed(1).padStart(8)} ${unit}  vs ${theirName.padEnd(28)} ${theirs.toFixed(1).padStart(8)} ${unit}  ratio ${ratio(ours, theirs)}`);
}
