import { referenceOptions } from './reference-options.js';
import type { Finding, Severity } from '../analysis/report.js';
import { checkImage, type CheckedPlatform } from '../check/check-image.js';
import { FormatError, UsageError } from '../errors.js';
import { openImageReference } from '../image/open-reference.js';
import { isIndexType } from '../image/parse-documents.js';
import { formatImageReference, parseImageReference } from '../image/refs.js';
import type { Image, ImageIndex, ImageOrIndex } from '../image/types.js';
import type { ParsedOptions } from './command.js';
import { checkSarif } from './sarif.js';
import { styleFor, type Style } from './style.js';

/** Indexes nest; deeper than this is refused (as selectPlatform does). */
const MAX_INDEX_DEPTH = 8;
const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export interface CheckResult {
  readonly image: string;
  readonly platforms: readonly CheckedPlatform[];
}

/** Runs `fromscratch check` (see check-command.ts for its options). */
export async function runCheck(positionals: readonly string[], options: ParsedOptions): Promise<number> {
  const [text] = positionals;
  if (text === undefined) throw new UsageError('check: needs <image>');
  const ref = parseImageReference(text);
  const reference = referenceOptions('check', options);
  if (options.json === true && options.sarif === true) throw new UsageError('check: --json and --sarif are two outputs; give one');
  const failOn = typeof options.failOn === 'string' ? options.failOn : 'error';
  const name = formatImageReference(ref);
  const opened = await openImageReference(ref, reference);
  let result: CheckResult;
  try {
    const images = await imagesOf(opened.root, name);
    const platforms: CheckedPlatform[] = [];
    for (const image of images) platforms.push(await checkImage(image, { name }));
    result = { image: name, platforms };
  } finally {
    await opened.close();
  }
  process.stdout.write(
    options.sarif === true ? `${JSON.stringify(checkSarif(result), null, 2)}\n` : options.json === true ? `${JSON.stringify(result)}\n` : renderCheck(result),
  );
  return exitCode(result, failOn);
}

export function exitCode(result: CheckResult, failOn: string): number {
  if (failOn === 'none') return 0;
  const threshold = RANK[failOn as Severity] ?? RANK.error;
  return result.platforms.some((p) => p.findings.some((f) => RANK[f.severity] >= threshold)) ? 1 : 0;
}

/** Every runnable image of an index (attestation manifests, platform unknown/unknown, are not). */
async function imagesOf(root: ImageOrIndex, name: string): Promise<Image[]> {
  if (root.kind === 'image') return [root.image];
  const images: Image[] = [];
  const visit = async (index: ImageIndex, depth: number): Promise<void> => {
    if (depth >= MAX_INDEX_DEPTH) throw new FormatError('limit', `${name}: indexes nested deeper than ${MAX_INDEX_DEPTH}`);
    for (const m of (await index.manifest()).manifests) {
      if (isIndexType(m.mediaType)) await visit(await index.index(m.digest), depth + 1);
      else if (m.platform?.os !== 'unknown') images.push(await index.image(m.digest));
    }
  };
  await visit(root.index, 0);
  return images;
}

export function renderCheck(result: CheckResult): string {
  const style = styleFor(process.stdout);
  const lines: string[] = [];
  for (const p of result.platforms) {
    const verdict = p.ok ? style.green('ok') : style.red('will not run');
    lines.push(`${result.image} ${p.platform}: ${verdict}`);
    lines.push(`  entrypoint: ${p.entrypoint.argv.length > 0 ? JSON.stringify(p.entrypoint.argv) : '(none)'}${p.entrypoint.path !== null ? ` -> ${p.entrypoint.path}` : ''}`);
    for (const f of p.findings) lines.push(...findingLines(f, style));
  }
  return lines.join('\n') + '\n';
}

function findingLines(f: Finding, style: Style): string[] {
  const severity = f.severity === 'error' ? style.red(f.severity) : f.severity === 'warning' ? style.yellow(f.severity) : style.dim(f.severity);
  return [`  ${severity} ${f.id}: ${f.message}`, ...(f.fix ? [`    fix: ${f.fix}`] : [])];
}
