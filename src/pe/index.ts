export type { PeFile, PeHeader, PeSection } from './types.js';
export { rvaToOffset } from './imports.js';
export { isPe, peSignatureOffset } from './magic.js';
export { parsePe } from './parse.js';
