#!/usr/bin/env node
// Prints every performance figure as a ratio against the tools a person
// would otherwise run: one script, one section per command. Run with
// `npm run bench` (builds first). Needs the test machine's packages
// (scripts/setup-test-machine.sh): go, file, pigz, skopeo, GNU time...
// `node bench/run.js inspect build` runs only those sections.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sections = ['inspect', 'build', 'check', 'registry'];
const wanted = process.argv.slice(2);
let failed = false;
for (const name of sections) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const script = join(here, `${name}.js`);
  if (!existsSync(script)) continue;
  console.log(`\n== ${name}`);
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.log(`(${name} bench failed with exit code ${r.status})`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
