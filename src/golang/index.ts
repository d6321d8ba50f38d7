export type { GoCgo, GoInfo, GoModule, GoVersionSource } from './types.js';
export { readBuildInfo, buildInfoArea, type RawBuildInfo } from './buildinfo.js';
export { parseModinfo, settingValue, type ParsedModinfo } from './modinfo.js';
export { readGoInfo } from './goinfo.js';
export { findPclntab, validatePclntabHeader, PCLNTAB_MAGICS, type PclntabInfo } from './pclntab.js';
export { formatGoVersionM } from './format.js';
export { goQuote, goUnquote } from './goquote.js';
