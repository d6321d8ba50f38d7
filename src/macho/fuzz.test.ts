import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mapAddress } from '../binary/layout.js';
import { InputError } from '../errors.js';
import { BytesSource } from '../io/source.js';
import { fixture } from '../testing/fixtures.js';
import { buildFat, machHeaderCpu } from '../testing/macho-synthetic.js';
import { mutate, Rng } from '../testing/mutate.js';
import { parseMachO } from './index.js';

const ROUNDS = 250;

/** Header and load commands, plus the symbol table LC_SYMTAB points at: where corruption bites. */
function hotRanges(bytes: Uint8Array, base = 0): [number, number][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset + base);
  const sizeofcmds = view.getUint32(20, true);
  const ranges: [number, number][] = [[base, base + 32 + sizeofcmds]];
  for (let at = 32; at < 32 + sizeofcmds; at += view.getUint32(at + 4, true)) {
    if (view.getUint32(at, true) === 0x2) {
      const symoff = view.getUint32(at + 8, true);
      ranges.push([base + symoff, base + symoff + 4096]);
    }
  }
  return ranges;
}

/** Parses and uses a mutated file the way the Go readers do; anything but success or an InputError fails. */
async function exercise(bytes: Uint8Array, seed: number): Promise<void> {
  try {
    const m = await parseMachO(new BytesSource(`seed-${seed}`, bytes));
    for (const s of m.layout.sections) mapAddress(m.layout, s.vaddr);
    await m.layout.findSymbol('runtime.buildVersion');
    await m.layout.findSymbol('main.main');
  } catch (e) {
    if (!(e instanceof InputError)) assert.fail(`seed ${seed}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}

test('mutated thin Go Mach-O files give a result or an InputError, never another exception', async () => {
  const original = new Uint8Array(readFileSync(fixture('go-darwin-amd64')));
  const hot = hotRanges(original);
  const rng = new Rng(0x6d61636f);
  for (let seed = 0; seed < ROUNDS; seed++) await exercise(mutate(original, rng, hot), seed);
});

test('mutated fat files give a result or an InputError, never another exception', async () => {
  const amd64 = new Uint8Array(readFileSync(fixture('go-darwin-amd64')));
  const arm64 = new Uint8Array(readFileSync(fixture('go-darwin-arm64')));
  const fat = buildFat([
    { ...machHeaderCpu(amd64), bytes: amd64 },
    { ...machHeaderCpu(arm64), bytes: arm64 },
  ]);
  const firstSlice = new DataView(fat.buffer).getUint32(16, false);
  const hot: [number, number][] = [[0, 48], ...hotRanges(fat, firstSlice)];
  const rng = new Rng(0xfa7f11e5);
  for (let seed = 0; seed < ROUNDS / 2; seed++) await exercise(mutate(fat, rng, hot), seed);
});
