export type { GoCgo, GoInfo, GoModule, GoVersionSource } from './types.js';
export { readBuildInfo, buildInfoArea, type RawBuildInfo } from './buildinfo.js';
export { parseModinfo, settingValue, type ParsedModinfo } from './modinfo.js';
export { readGoInfo } from './goinfo.js';
export { findPclntab, validatePclntabHeader, PCLNTAB_MAGICS, type PclntabInfo } from './pclntab.js';
export { formatGoVersionM } from './format.js';
export { goQuote, goUnquote } from './goquote.js';
export {
  forEachFunctionName,
  forEachFunctabName,
  readPclntabHeader,
  MAX_FUNCTION_NAME,
  type FunctionNameVisitor,
  type PclntabHeader,
} from './funcnames.js';
export { packageOfFunction, splitFunctionName, cgoCallOf, stripTypeArguments, unescapePackagePath } from './function-name.js';
export {
  readGoPackages,
  isStandardPackage,
  moduleOfPackage,
  PackageCollector,
  type GoPackages,
  type BuildModules,
} from './packages.js';
export {
  analyseCgo,
  withPackagesAndCgo,
  buildTags,
  linkmodeFromLdflags,
  MUSL_STATIC_FIX,
  NETGO_FIX,
  OSUSERGO_FIX,
  PLUGIN_FIX,
  STD_MODULE,
  type CgoAnalysis,
  type CgoBuildFacts,
} from './cgo.js';
