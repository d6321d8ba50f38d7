import { buildImage, type BuildResult } from '../build/build.js';
import { buildJson, type BuildJson, type ReportedFile } from '../build/report.js';
import { formatBytes, progressFor } from './progress.js';
import { epochFromEnvironment } from '../build/assemble.js';
import type { CaSource } from '../build/plan.js';
import { parseBuildPlatform, type CgoStrategy } from '../build/go-build.js';
import { resolveUser } from '../build/users.js';
import { UsageError } from '../errors.js';
import type { ParsedOptions } from './command.js';
import type { LayerCompression } from '../layer/index.js';

/** Runs `fromscratch build` (see build-command.ts for its options). */
export async function runBuild(inputs: readonly string[], options: ParsedOptions): Promise<number> {
  const progress = progressFor(process.stderr);
  let result: BuildResult;
  try {
    result = await buildImage(inputs, { ...buildOptionsFrom(options), progress });
  } finally {
    progress.close();
  }
  const report = buildJson(result);
  process.stdout.write(options.json === true ? `${JSON.stringify(report)}\n` : renderBuild(report));
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

/** Past this many files for one reason, the text output names their directory once (--json lists every file). */
const GROUP_AT = 8;

/** What went in and why, with sizes: so a person sees where the bytes go. */
function renderBuild(report: BuildJson): string {
  const lines = [`${report.ref} ${report.digest}`];
  for (const p of report.platforms) {
    lines.push(`  ${p.platform} ${p.digest} (${formatBytes(p.size)} stored)${p.source !== null ? ` built from ${p.source}` : ''}`);
    for (const l of p.layers) {
      const tar = l.uncompressedSize !== null ? `, ${formatBytes(l.uncompressedSize)} uncompressed` : ', from the base';
      lines.push(`    layer ${l.layer.padEnd(6)} ${l.digest.slice(0, 19)}  ${formatBytes(l.size).padStart(9)} stored${tar}`);
    }
    for (const line of fileLines(p.files)) lines.push(`    ${line}`);
    if (p.fromBase.length > 0) lines.push(`    already in the base, not added: ${p.fromBase.map((f) => f.path).join(', ')}`);
    for (const note of p.notes) lines.push(`    note: ${note}`);
    for (const need of p.unmet) lines.push(`    warning: needs ${need.id} (${need.evidence.slice(0, 2).join(', ')}); not added, use --add`);
  }
  return `${lines.join('\n')}\n`;
}

/** One line per file, biggest first; a reason with many files (zoneinfo) as one line for their common directory. */
function fileLines(files: readonly ReportedFile[]): string[] {
  const byReason = new Map<string, ReportedFile[]>();
  for (const f of files) {
    const group = byReason.get(f.reason);
    if (group) group.push(f);
    else byReason.set(f.reason, [f]);
  }
  const rows: { size: number; path: string; why: string }[] = [];
  for (const group of byReason.values()) {
    const first = group[0];
    if (first === undefined) continue;
    if (group.length <= GROUP_AT) {
      for (const f of group) rows.push({ size: f.size, path: f.type === 'dir' ? `${f.path}/` : f.path, why: f.why });
      continue;
    }
    const regular = group.filter((f) => f.type === 'file').length;
    rows.push({ size: group.reduce((n, f) => n + f.size, 0), path: `${commonDir(group.map((f) => (f.type === 'dir' ? `${f.path}/.` : f.path)))}/ (${regular} files)`, why: first.why });
  }
  rows.sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1));
  return rows.map((r) => `${formatBytes(r.size).padStart(9)}  ${r.path}  ${r.why}`);
}

function commonDir(paths: readonly string[]): string {
  let common = (paths[0] ?? '/').split('/').slice(0, -1);
  for (const path of paths.slice(1)) {
    const parts = path.split('/');
    let i = 0;
    while (i < common.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.join('/') || '/';
}
