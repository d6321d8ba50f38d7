import { buildImage, buildJson, type BuildResult } from '../build/build.js';
import { epochFromEnvironment } from '../build/assemble.js';
import { platformName } from '../build/index-image.js';
import type { CaSource } from '../build/plan.js';
import { parseBuildPlatform, type CgoStrategy } from '../build/go-build.js';
import { resolveUser } from '../build/users.js';
import { UsageError } from '../errors.js';
import type { ParsedOptions } from './command.js';
import type { LayerCompression } from '../layer/index.js';

/** Runs `fromscratch build` (see build-command.ts for its options). */
export async function runBuild(binaries: readonly string[], options: ParsedOptions): Promise<number> {
  const result = await buildImage(binaries, buildOptionsFrom(options));
  process.stdout.write(options.json === true ? `${JSON.stringify(buildJson(result))}\n` : renderBuild(result));
  return 0;
}

function buildOptionsFrom(options: ParsedOptions): Parameters<typeof buildImage>[1] {
  const output = options.output;
  if (typeof output !== 'string') throw new UsageError('build: -o REF is required (oci:DIR, oci-archive:FILE, docker-archive:FILE or docker://HOST/REPO:TAG)');
  const userText = options.user as string;
  const user = resolveUser(userText);
  if (user === undefined) throw new UsageError(`build: --user ${JSON.stringify(userText)} is not uid[:gid] or one of root, nobody, nonroot`);
  const add = ((options.add as readonly string[] | undefined) ?? []).map((pair) => {
    const colon = pair.indexOf(':');
    if (colon <= 0 || colon === pair.length - 1) throw new UsageError(`build: --add ${JSON.stringify(pair)} must be SRC:DST`);
    return { source: pair.slice(0, colon), destination: pair.slice(colon + 1) };
  });
  return {
    output,
    rootDir: options.root as string,
    caSource: options.caSource as CaSource,
    caFiles: (options.caFile as readonly string[] | undefined) ?? [],
    add,
    user,
    ...(typeof options.path === 'string' ? { appPath: options.path } : {}),
    ...(typeof options.base === 'string' ? { base: options.base } : {}),
    platforms: ((options.platform as readonly string[] | undefined) ?? []).map(parseBuildPlatform),
    ...(typeof options.cgo === 'string' ? { cgo: options.cgo as CgoStrategy } : {}),
    compression: options.compression as LayerCompression,
    epoch: epochFromEnvironment(process.env.SOURCE_DATE_EPOCH),
    cmd: (options['--'] as readonly string[] | undefined) ?? [],
  };
}

/** What went in and why, with sizes: so a person sees where the bytes go. */
export function renderBuild(result: BuildResult): string {
  const lines = [`${result.ref} ${result.digest}`];
  for (const p of result.platforms) {
    lines.push(`  ${platformName(p.assembled.platform)} ${p.digest} (${formatSize(p.size)} stored)`);
    const byReason = new Map<string, { count: number; bytes: number; example: string; evidence: readonly string[] }>();
    for (const f of p.plan.files) {
      const entry = byReason.get(f.reason) ?? { count: 0, bytes: 0, example: f.path, evidence: f.evidence };
      entry.count++;
      entry.bytes += f.size;
      byReason.set(f.reason, entry);
    }
    for (const [reason, e] of byReason) {
      const what = e.count === 1 ? e.example : `${e.example} (+${e.count - 1} more)`;
      lines.push(`    ${formatSize(e.bytes).padStart(9)}  ${reason.padEnd(16)} ${what}${e.evidence.length > 0 ? `  ← ${e.evidence.slice(0, 2).join(', ')}` : ''}`);
    }
    for (const need of p.plan.unmet) lines.push(`    warning: needs ${need.id} (${need.evidence.slice(0, 2).join(', ')}); not added, use --add`);
  }
  return `${lines.join('\n')}\n`;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
