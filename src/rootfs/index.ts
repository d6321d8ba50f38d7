export { ImageRootFS, MAX_OPEN_FILE_BYTES, DEFAULT_MAX_LAYER_BYTES, DEFAULT_KEEP_BYTES, type ImageRootFSOptions } from './image-fs.js';
export { MergedTree, cleanComponents, MAX_MERGED_ENTRIES, type MergedEntry, type MergedKind, type RefusedEntry } from './merged-tree.js';
