export { checkImage, type CheckOptions, type CheckedPlatform } from './check-image.js';
export { resolveCommand, commandLine, envValue, DEFAULT_PATH, type ResolvedCommand } from './entrypoint.js';
export { goNeedFindings, userFindings } from './needs-in-image.js';
export { symbolVersionFindings } from './symbol-versions.js';
