import type { Readable } from 'node:stream';
import type { Image, Layer } from './types.js';

/**
 * An image whose layers are `wrap`'s view of the image's own; everything
 * else passes through. The one shape of the decorators that change how an
 * image's layers are read (progress, counting, spooling): they wrap an
 * image rather than copy it.
 */
export function withLayers(image: Image, wrap: (layers: readonly Layer[]) => Promise<readonly Layer[]> | readonly Layer[]): Image {
  return {
    descriptor: () => image.descriptor(),
    rawManifest: () => image.rawManifest(),
    manifest: () => image.manifest(),
    rawConfig: () => image.rawConfig(),
    config: () => image.config(),
    layers: async () => wrap(await image.layers()),
  };
}

/** A layer whose stored blob is opened through `open`; its diff ID and uncompressed view are the layer's own. */
export function withOpen(layer: Layer, open: () => Promise<Readable>): Layer {
  return { descriptor: layer.descriptor, diffId: () => layer.diffId(), uncompressed: () => layer.uncompressed(), open };
}
