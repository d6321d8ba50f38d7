export * from './report.js';
export { inspectFile, type InspectOptions } from './inspect.js';
export { linkFindings, linkNeeds, type LinkFacts } from './findings.js';
export { recommendBase } from './recommend.js';
export { expandInputs, mapOrdered, type ScanTarget } from './scan.js';
