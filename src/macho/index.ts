export type { MachOFile, MachOHeader, MachOSlice } from './types.js';
export { isMachO, parseMachO } from './parse.js';
