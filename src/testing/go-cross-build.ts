/**
 * One-off Go builds for tests that need a variant the fixture set does not
 * hold (say, a Windows binary linked with -s). Uses the fixtures' Go cache,
 * so once the fixtures exist a variant only costs a link.
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_SOURCES, goBinary, goEnv } from './fixture-key.js';
import type { GoToolchain } from './fixture-specs.js';
import { formatCommand, run } from './process.js';

export interface CrossBuild {
  /** A program directory under fixtures/go. */
  program: string;
  goos: string;
  goarch: string;
  flags?: readonly string[];
  toolchain?: GoToolchain;
}

/** Builds the program with CGO_ENABLED=0 into a temporary directory removed at exit; returns the binary's path. */
export async function crossBuild(spec: CrossBuild): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fromscratch-cross-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, `${spec.program}-${spec.goos}-${spec.goarch}`);
  const go = goBinary(spec.toolchain ?? 'go1.23');
  const args = ['build', '-buildvcs=false', '-o', out, ...(spec.flags ?? []), '.'];
  const env = { ...goEnv(), CGO_ENABLED: '0', GOOS: spec.goos, GOARCH: spec.goarch };
  const result = await run(go, args, { cwd: join(FIXTURE_SOURCES, 'go', spec.program), env, timeoutMs: 600_000 });
  if (result.code !== 0) throw new Error(`${formatCommand(go, args)} failed:\n${result.stderr}`);
  return out;
}
