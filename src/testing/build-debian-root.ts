/**
 * `npm run fixtures`, second step: the Debian root check's tests use
 * (debian-root.ts), built once and cached. A script only: never imported.
 */
import { relative } from 'node:path';
import { ensureDebianRoot } from './debian-root.js';
import { REPO_ROOT } from './fixture-key.js';
import { ToolError } from './process.js';

const log = (message: string): void => void process.stderr.write(`fixtures: ${message}\n`);
try {
  log(`Debian root ready: ${relative(REPO_ROOT, (await ensureDebianRoot(log)).tar)}`);
} catch (e) {
  if (!(e instanceof ToolError)) throw e;
  log(e.message);
  process.exit(1);
}
