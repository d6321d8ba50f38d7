import { FormatError } from '../errors.js';
import { sha256Of } from '../image/blob-streams.js';
import { canonicalJsonBytes } from '../image/canonical-json.js';
import { platformText } from '../image/platform.js';
import { MEDIA_TYPES, type Descriptor, type Image, type ImageIndex, type ImageIndexManifest, type Platform } from '../image/types.js';

/**
 * A multi-platform OCI index over images built in this process. Entries keep
 * the order given (the order of the binaries on the command line), so the
 * index bytes are as reproducible as the images.
 */
export async function memoryIndex(entries: readonly { readonly image: Image; readonly platform: Platform }[]): Promise<ImageIndex> {
  const seen = new Set<string>();
  for (const { platform } of entries) {
    const key = platformText(platform);
    if (seen.has(key)) throw new FormatError('malformed', `two images for the same platform ${key}; an index holds one per platform`);
    seen.add(key);
  }
  const byDigest = new Map<string, Image>();
  const manifests: Descriptor[] = [];
  for (const { image, platform } of entries) {
    const descriptor = await image.descriptor();
    byDigest.set(descriptor.digest, image);
    manifests.push({ mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size, platform });
  }
  const manifest: ImageIndexManifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests };
  const raw = canonicalJsonBytes(manifest);
  const descriptor: Descriptor = { mediaType: MEDIA_TYPES.ociIndex, digest: sha256Of(raw), size: raw.length };
  return {
    descriptor: async () => descriptor,
    rawManifest: async () => raw,
    manifest: async () => manifest,
    image: async (digest) => {
      const image = byDigest.get(digest);
      if (image === undefined) throw new FormatError('malformed', `index: no image ${digest}`);
      return image;
    },
    index: async (digest) => {
      throw new FormatError('malformed', `index: no nested index ${digest}`);
    },
  };
}

