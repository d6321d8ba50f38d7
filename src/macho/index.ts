export type { MachOFile, MachOHeader, MachOSlice } from './types.js';
export { isMachO } from './magic.js';
export { parseMachO } from './parse.js';
