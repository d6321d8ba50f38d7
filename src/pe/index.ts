export type { PeFile, PeHeader, PeSection } from './types.js';
export { rvaToOffset } from './imports.js';
export { peSignatureOffset } from './headers.js';
export { isPe, parsePe } from './parse.js';
