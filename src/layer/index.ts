export { writeTar, type TarInput, type TarHeaderInput, type TarWriteType } from './tar-writer.js';
export { readTar, type TarEntry, type TarEntryType, type TarHeader } from './tar-reader.js';
export { gzipParallel, gunzip, type GzipOptions, type GunzipOptions } from './gzip.js';
export { sha256Digest, isSha256Digest, DigestStream, verifyingStream, type ExpectedContent } from './digest.js';
export { buildLayer, LAYER_MEDIA_TYPES, type BuildLayerOptions, type BuiltLayer, type LayerCompression } from './layer-builder.js';
export { zstdCompress, zstdDecompress } from './zstd.js';
