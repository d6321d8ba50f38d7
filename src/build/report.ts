import { platformText } from '../image/platform.js';
import type { BuildResult, BuiltPlatform } from './build.js';
import type { PlannedFile } from './plan.js';

/**
 * What a build put in the image and why, with sizes, so a person sees where
 * the bytes go: every file with the need that brought it ("library
 * libc.so.6 needed by /app/server"), and every layer's stored and
 * uncompressed size. `build --json` prints it; the text output renders it.
 */

export interface ReportedFile {
  readonly path: string;
  readonly layer: 'system' | 'app';
  /** The need id ("ca-certificates", "libraries"), "app", "add" or "default". */
  readonly reason: string;
  /** One line a person reads: "binary", "ca-certificates: crypto/tls.Client", "library libc.so.6 needed by /app/x". */
  readonly why: string;
  /** Bytes of content (0 for directories and symlinks). */
  readonly size: number;
  readonly type: 'file' | 'dir' | 'symlink';
}

export interface ReportedLayer {
  /** "base" for a layer of the --base image, else which of our layers. */
  readonly layer: 'base' | 'system' | 'app';
  readonly digest: string;
  readonly mediaType: string;
  /** Bytes as stored (compressed). */
  readonly size: number;
  /** Bytes of the tar; null for a base layer (not decompressed by the build). */
  readonly uncompressedSize: number | null;
}

export interface PlatformReport {
  readonly platform: string;
  readonly digest: string;
  /** Manifest + config + every layer as stored. */
  readonly size: number;
  readonly source: string | null;
  readonly layers: readonly ReportedLayer[];
  readonly files: readonly ReportedFile[];
  /** Planned files left out because the base image already has them. */
  readonly fromBase: readonly ReportedFile[];
  readonly notes: readonly string[];
  /** Needs the image does not meet by itself (a shell, programs to exec): add them with --add. */
  readonly unmet: readonly { readonly id: string; readonly evidence: readonly string[] }[];
}

export interface BuildJson {
  readonly ref: string;
  readonly digest: string;
  readonly platforms: readonly PlatformReport[];
}

/** `build --json`'s object: {ref, digest, platforms} (shared/DESIGN.md), each platform with its files and layers. */
export function buildJson(result: BuildResult): BuildJson {
  return { ref: result.ref, digest: result.digest, platforms: result.platforms.map(platformReport) };
}

function platformReport(p: BuiltPlatform): PlatformReport {
  const ours = p.assembled.layers;
  return {
    platform: platformText(p.assembled.platform),
    digest: p.digest,
    size: p.size,
    source: p.source ?? null,
    layers: [
      ...p.baseLayers.map((l) => ({ layer: 'base' as const, digest: l.digest, mediaType: l.mediaType, size: l.size, uncompressedSize: null })),
      ...ours.map((l) => ({ layer: l.name, digest: l.layer.digest, mediaType: l.layer.mediaType, size: l.layer.size, uncompressedSize: l.layer.uncompressedSize })),
    ],
    files: p.plan.files.map((f) => reportedFile(f, p.source)),
    fromBase: p.fromBase.map((f) => reportedFile(f, p.source)),
    notes: p.notes,
    unmet: p.plan.unmet.map((n) => ({ id: n.id, evidence: n.evidence })),
  };
}

function reportedFile(file: PlannedFile, source: string | undefined): ReportedFile {
  const type = file.content.kind === 'dir' ? 'dir' : file.content.kind === 'symlink' ? 'symlink' : 'file';
  return { path: file.path, layer: file.layer, reason: file.reason, why: whyOf(file, source), size: file.size, type };
}

/** The need behind a file, in a person's words. */
function whyOf(file: PlannedFile, source?: string): string {
  const evidence = file.evidence.slice(0, 3).join(', ');
  switch (file.reason) {
    case 'app':
      return source !== undefined ? `binary (go build of ${source})` : 'binary';
    case 'interpreter':
      return 'interpreter (PT_INTERP of the binary)';
    case 'libraries':
      return `library ${evidence}`;
    case 'add':
      return evidence;
    default:
      return evidence === '' ? file.reason : `${file.reason}: ${evidence}`;
  }
}
