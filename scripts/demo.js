#!/usr/bin/env node
// The main job on an embedded default: inspect the esbuild binary that npm
// installed with the dev toolchain (a real, stripped Go program), for
// whichever platform this machine is.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = `@esbuild/${process.platform}-${process.arch}`;
let binary;
try {
  binary = require.resolve(`${pkg}/bin/esbuild`);
} catch {
  console.error(`demo: ${pkg} is not installed (run npm ci first)`);
  process.exit(2);
}
const run = spawnSync(process.execPath, ['bin/fromscratch.cjs', 'inspect', binary, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 2);
