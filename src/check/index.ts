export { checkImage, keepForAnalysis, keepForCheck, type CheckOptions, type CheckedPlatform } from './check-image.js';
export { CHECK_FINDING_IDS, type CheckFinding } from './findings.js';
export { nsswitchFindings } from './nsswitch.js';
export { resolveCommand, commandLine, envValue, DEFAULT_PATH, type ResolvedCommand } from './entrypoint.js';
export { goNeedFindings, userFindings } from './needs-in-image.js';
export { symbolVersionFindings } from './symbol-versions.js';
