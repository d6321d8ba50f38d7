import { referenceOptions } from './reference-options.js';
import { analyseBinary } from '../analysis/analyse-binary.js';
import { emptyReport, type InspectReport } from '../analysis/report.js';
import { openExecutable } from '../binary/open.js';
import { describeError, InputError } from '../errors.js';
import { openImageReference, type OpenedReference, type ReferenceOptions } from '../image/open-reference.js';
import { hostPlatform, platformText, selectPlatform } from '../image/platform.js';
import { formatImageReference, parseImageReference } from '../image/refs.js';
import type { Image, ImageOrIndex, Platform } from '../image/types.js';
import { keepForAnalysis } from '../check/check-image.js';
import { notARegularFile } from '../fs/rootfs.js';
import { ImageRootFS } from '../rootfs/image-fs.js';
import { exitCodeFor, parseFailOn, type InspectCommandOptions } from './inspect-command.js';
import { progressFor } from './progress.js';
import { renderInspectText } from './render-inspect.js';
import { styleForTerminal } from './style.js';
import { stdoutIsCharacterDevice } from '../io/stdout.js';

/**
 * `inspect REF:/path`: a file inside an image, e.g.
 * `docker://127.0.0.1:5000/app:1:/app/server` or `oci:DIR:TAG:/app/server`.
 * The image's merged layers are the root the binary is analysed in (its
 * interpreter and libraries are looked up inside the image, as --root does
 * for a directory), nothing is extracted, and the report is the one inspect
 * gives for a file on disk, named `REF:/path`.
 */

export interface ImagePath {
  /** The image reference, as written ("oci:dir:v1"). */
  readonly ref: string;
  /** The absolute path inside the image. */
  readonly path: string;
}

const TRANSPORT_PREFIX = /^(?:docker:\/\/|oci:|oci-archive:|docker-archive:)/;

/**
 * Splits "REF:/path" at the first ":/" after the transport prefix: a
 * reference's own colons (host:port, :tag, sha256:) are never followed by
 * "/", so the path is everything from there (and may itself hold ":/").
 */
export function splitImagePath(input: string): ImagePath | undefined {
  const prefix = TRANSPORT_PREFIX.exec(input)?.[0];
  if (prefix === undefined) return undefined;
  // The first character after "oci:" may be the "/" of an absolute directory, not the path's.
  const at = input.indexOf(':/', prefix.length + 1);
  if (at < 0) return undefined;
  return { ref: input.slice(0, at), path: input.slice(at + 1) };
}

/** The host's os and architecture, any variant. */
function hostOsArch(): Platform {
  const { os, architecture } = hostPlatform();
  return { os, architecture };
}

/** The image to look in: --platform's, else the host's, else the only runnable one of the index. */
async function chooseImage(root: ImageOrIndex, name: string): Promise<Image> {
  if (root.kind === 'image') return root.image;
  const runnable = (await root.index.manifest()).manifests.filter((m) => m.platform?.os !== 'unknown');
  const only = runnable.length === 1 && runnable[0]?.platform ? runnable[0].platform : undefined;
  try {
    const chosen = await selectPlatform(root, only ?? hostOsArch(), name);
    if (chosen.kind === 'image') return chosen.image;
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError('not-found', `${e.message}; choose one with --platform`);
  }
  throw new InputError('not-found', `${name}: no image for ${platformText(hostOsArch())}; choose one with --platform`);
}

interface OpenedImageRoot {
  readonly fs: ImageRootFS;
  readonly opened: OpenedReference;
}

async function openImageRoot(refText: string, paths: readonly string[], reference: ReferenceOptions): Promise<OpenedImageRoot> {
  const ref = parseImageReference(refText);
  const name = formatImageReference(ref);
  const opened = await openImageReference(ref, reference);
  try {
    const image = await chooseImage(opened.root, name);
    // The files asked for, their loader's configuration and the libraries are kept by the one indexing pass: a registry layer is downloaded once.
    const keeps = paths.map(keepForAnalysis);
    return { fs: await ImageRootFS.open(image, name, { keep: (p) => keeps.some((keep) => keep(p)) }), opened };
  } catch (e) {
    await opened.close();
    throw e;
  }
}

/** The inspect report of `path` inside the image: an InputError (exit 2) when the path is not a regular file there. */
export async function inspectInImage(fs: ImageRootFS, name: string, path: string): Promise<InspectReport> {
  const info = await fs.stat(path);
  if (info === undefined) throw new InputError('not-found', `${name}: no such file in the image`);
  if (info.kind !== 'file') throw notARegularFile(name, info.kind, ' in the image');
  const source = await fs.open(path);
  try {
    const opened = await openExecutable(source);
    if (!opened) return emptyReport(name);
    // $ORIGIN is the directory of the binary's real path, as the loader computes it.
    const inRoot = (await fs.realpath(path)) ?? path;
    return (await analyseBinary(name, opened, { root: fs, inRootPath: async () => inRoot })).report;
  } catch (e) {
    const error = describeError(e);
    return { ...emptyReport(name), error: { code: error.code, message: error.message.startsWith(name) ? error.message : `${name}: ${error.message}` } };
  } finally {
    await source.close();
  }
}

/**
 * Runs inspect when some inputs are `REF:/path`: those first, in the order
 * given (each image opened once), then the host inputs through `runHost`.
 */
export async function runInspectInImages(
  inputs: readonly string[],
  options: InspectCommandOptions,
  runHost: (inputs: readonly string[]) => Promise<number>,
): Promise<number> {
  const failOn = parseFailOn(options.failOn);
  // --platform checked before anything is opened.
  const flags = referenceOptions('inspect', options);
  // The host inputs' rule (runInspect): colour when stdout is a character device, asked of fstat.
  const style = styleForTerminal(stdoutIsCharacterDevice());
  const hostInputs: string[] = [];
  const wanted: ImagePath[] = [];
  for (const input of inputs) {
    const split = splitImagePath(input);
    if (split) wanted.push(split);
    else hostInputs.push(input);
  }
  // Layers pulled from a registry show on stderr, on a terminal only.
  const progress = progressFor(process.stderr);
  const reference = { ...flags, progress };
  const roots = new Map<string, OpenedImageRoot>();
  const reports: InspectReport[] = [];
  try {
    for (const { ref, path } of wanted) {
      let root = roots.get(ref);
      if (!root) {
        root = await openImageRoot(ref, wanted.filter((w) => w.ref === ref).map((w) => w.path), reference);
        roots.set(ref, root);
      }
      const report = await inspectInImage(root.fs, `${ref}:${path}`, path);
      progress.close();
      reports.push(report);
      process.stdout.write(options.json ? JSON.stringify(report) + '\n' : renderInspectText(report, style));
    }
  } finally {
    progress.close();
    for (const root of roots.values()) await root.opened.close();
  }
  if (!options.json) {
    for (const r of reports) if (r.error !== null) process.stderr.write(`fromscratch: ${r.error.message}\n`);
  }
  const code = exitCodeFor(reports, failOn);
  return hostInputs.length > 0 ? Math.max(code, await runHost(hostInputs)) : code;
}
