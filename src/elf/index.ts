export * from './types.js';
export { isElf, readElfClassAndMachine, parseElfHeader, type ElfHeaderProbe } from './header.js';
export { parseElf, parseElfLinking, elfLinkage, isStripped, type ElfLinking } from './parse.js';
export { elfIdentity, elfArch, elfOs, elfType, type ElfIdentityEvidence } from './identity.js';
export { hasDynamicSymbol, definedVersions, importedDynamicSymbols } from './symbols.js';
export { dynamicSymbolsFromDynamic, dynamicSymbolsFromSections, type SymbolTable } from './dynamic-symbols.js';
export { offsetOfAddress } from './dynamic.js';
