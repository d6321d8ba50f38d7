import { FormatError, InputError } from '../errors.js';
import { isIndexType } from './parse-documents.js';
import type { ImageOrIndex, Platform } from './types.js';

/** Indexes may nest (an index of indexes); deeper than this is refused. */
const MAX_INDEX_DEPTH = 8;

/** Node's process.arch in Go's (and OCI's) names. */
const GO_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/**
 * The host's platform in Go's and OCI's names; arm64 with the variant
 * images give it (v8). To match any variant, leave the variant out.
 */
export function hostPlatform(): Platform {
  const architecture = GO_ARCH[process.arch] ?? process.arch;
  return architecture === 'arm64' ? { os: 'linux', architecture, variant: 'v8' } : { os: 'linux', architecture };
}

export function platformText(p: Platform): string {
  return [p.os, p.architecture, ...(p.variant !== undefined ? [p.variant] : [])].join('/');
}

export function platformMatches(candidate: Platform | undefined, wanted: Platform): boolean {
  if (!candidate || candidate.os !== wanted.os || candidate.architecture !== wanted.architecture) return false;
  return wanted.variant === undefined || candidate.variant === wanted.variant;
}

/**
 * The image for `wanted` in an index (through nested indexes), or the
 * image itself when it is that platform; an InputError('not-found') naming
 * what the index offers otherwise. One rule for every transport: layouts,
 * archives and registries alike.
 */
export async function selectPlatform(root: ImageOrIndex, wanted: Platform, where: string): Promise<ImageOrIndex> {
  let result = root;
  for (let depth = 0; result.kind === 'index'; depth++) {
    if (depth >= MAX_INDEX_DEPTH) throw new FormatError('limit', `${where}: indexes nested deeper than ${MAX_INDEX_DEPTH}`);
    const index = result.index;
    const manifests = (await index.manifest()).manifests;
    const entry =
      manifests.find((m) => platformMatches(m.platform, wanted)) ?? manifests.find((m) => isIndexType(m.mediaType) && m.platform === undefined);
    if (!entry) {
      const offered = manifests.map((m) => (m.platform ? platformText(m.platform) : '?')).join(', ');
      throw new InputError('not-found', `${where}: no image for ${platformText(wanted)} (the index has ${offered || 'nothing'})`);
    }
    result = isIndexType(entry.mediaType) ? { kind: 'index', index: await index.index(entry.digest) } : { kind: 'image', image: await index.image(entry.digest) };
  }
  const config = await result.image.config();
  if (config.os !== wanted.os || config.architecture !== wanted.architecture) {
    throw new InputError('not-found', `${where}: the image is ${config.os}/${config.architecture}, not ${platformText(wanted)}`);
  }
  return result;
}
