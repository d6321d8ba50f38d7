/**
 * Looks up built test fixtures by name. Tests call `fixture('go-static')`
 * and get an absolute path; `npm run fixtures` (run by `npm test`) builds
 * them first. The fixture set is found by recomputing the cache key, so a
 * test never reads fixtures built from other sources or toolchains.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { COMPLETE_MARKER, currentFixtureKey, fixtureDir, type FixtureManifest, type FixtureRecord, MANIFEST_FILE, REPO_ROOT } from './fixture-key.js';
import { FIXTURE_NAMES } from './fixture-specs.js';

export { FIXTURE_NAMES };
export type { FixtureManifest, FixtureRecord };

let cachedRoot: string | null = null;
let cachedManifest: FixtureManifest | null = null;

/** The directory of the complete fixture set for the current sources and toolchains. */
export function fixturesRoot(): string {
  if (cachedRoot !== null) return cachedRoot;
  const dir = fixtureDir(currentFixtureKey());
  if (!existsSync(join(dir, COMPLETE_MARKER))) {
    throw new Error(
      `test fixtures are not built for the current sources (expected ${relative(REPO_ROOT, dir)}): run \`npm run build && npm run fixtures\``,
    );
  }
  cachedRoot = dir;
  return dir;
}

/** The manifest of the current fixture set: each fixture's path and how it was built. */
export function fixtureManifest(): FixtureManifest {
  if (cachedManifest !== null) return cachedManifest;
  const manifest = JSON.parse(readFileSync(join(fixturesRoot(), MANIFEST_FILE), 'utf8')) as FixtureManifest;
  cachedManifest = manifest;
  return manifest;
}

/** The absolute path of the named fixture (a file, or for c-origin and c-rpath a directory). */
export function fixture(name: string): string {
  if (!FIXTURE_NAMES.includes(name)) {
    throw new Error(`unknown fixture "${name}"; known fixtures: ${FIXTURE_NAMES.join(', ')}`);
  }
  const record = fixtureManifest().fixtures[name];
  if (!record) throw new Error(`fixture "${name}" is missing from the manifest of ${fixturesRoot()}: run \`npm run fixtures\``);
  return resolve(fixturesRoot(), record.path);
}

/** How the named fixture was built (toolchain, environment, flags, commands). */
export function fixtureRecord(name: string): FixtureRecord {
  fixture(name); // validates the name
  const record = fixtureManifest().fixtures[name];
  if (!record) throw new Error(`fixture "${name}" is missing from the manifest`);
  return record;
}
