export type { GoCgo, GoInfo, GoModule, GoVersionSource } from './types.js';
export { readBuildInfo, buildInfoArea, type RawBuildInfo } from './buildinfo.js';
export { parseModinfo, settingValue, type ParsedModinfo } from './modinfo.js';
export { readGoInfo } from './goinfo.js';
export { findPclntab, validatePclntabHeader, PCLNTAB_MAGICS, type PclntabInfo } from './pclntab.js';
export { formatGoVersionM } from './format.js';
export { goQuote, goUnquote } from './goquote.js';
export { forEachFunctionName, type FunctionNameVisitor } from './funcnames.js';
export { forEachFunctabName } from './functab.js';
export { readPclntabHeader, MAX_FUNCTION_NAME, type PclntabHeader } from './pclntab-header.js';
export { packageOfFunction, splitFunctionName, cgoCallOf, stripTypeArguments, unescapePackagePath } from './function-name.js';
export { readGoPackages, PackageCollector, type GoPackages } from './packages.js';
export { isStandardPackage, moduleOfPackage, type BuildModules } from './package-modules.js';
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
