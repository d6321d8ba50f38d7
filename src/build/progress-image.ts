import { Transform, type Readable } from 'node:stream';
import type { Progress } from '../cli/progress.js';
import type { Image, ImageIndex, ImageOrIndex, Layer } from '../image/types.js';
import { withLayers, withOpen } from '../image/wrap.js';

/**
 * The same image or index, with every layer blob a sink reads counted as a
 * progress task ("pushing sha256:abcd…" for a registry, "writing" for a
 * file). Wrapping, not copying: the sinks stay unaware of progress, and a
 * blob the registry already has is never opened, so never shown.
 */
export function withBlobProgress(root: ImageOrIndex, progress: Progress, verb: string): ImageOrIndex {
  return root.kind === 'image' ? { kind: 'image', image: imageWithProgress(root.image, progress, verb) } : { kind: 'index', index: indexWithProgress(root.index, progress, verb) };
}

function indexWithProgress(index: ImageIndex, progress: Progress, verb: string): ImageIndex {
  return {
    descriptor: () => index.descriptor(),
    rawManifest: () => index.rawManifest(),
    manifest: () => index.manifest(),
    image: async (digest) => imageWithProgress(await index.image(digest), progress, verb),
    index: async (digest) => indexWithProgress(await index.index(digest), progress, verb),
  };
}

function imageWithProgress(image: Image, progress: Progress, verb: string): Image {
  return withLayers(image, (layers) => layers.map((layer) => layerWithProgress(layer, progress, verb)));
}

function layerWithProgress(layer: Layer, progress: Progress, verb: string): Layer {
  return withOpen(layer, async () => {
    const task = progress.task(`${verb} ${layer.descriptor.digest.slice('sha256:'.length, 'sha256:'.length + 12)}`, layer.descriptor.size);
    const stream: Readable = await layer.open();
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        task.advance(chunk.length);
        callback(null, chunk);
      },
      flush(callback) {
        task.finish();
        callback();
      },
    });
    stream.on('error', (error) => counted.destroy(error));
    counted.on('close', () => {
      task.finish();
      if (!stream.destroyed) stream.destroy();
    });
    return stream.pipe(counted);
  });
}
