// The library entry: the same capabilities as the CLI, typed.
export * from './errors.js';
export * from './io/index.js';
export * from './binary/index.js';
export { openExecutable, type OpenedBinary } from './binary/open.js';
export { detectFormat } from './binary/detect.js';
export * as elf from './elf/index.js';
export * as macho from './macho/index.js';
export * as pe from './pe/index.js';
export * as golang from './golang/index.js';
export * as linker from './linker/index.js';
export * from './fs/index.js';
export * from './analysis/index.js';
export * as image from './image/index.js';
export * as layer from './layer/index.js';
export * as registry from './registry/index.js';
