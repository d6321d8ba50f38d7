import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mapAddress } from '../binary/layout.js';
import { InputError } from '../errors.js';
import { BytesSource } from '../io/source.js';
import { fixture } from '../testing/fixtures.js';
import { mutate, Rng } from '../testing/mutate.js';
import { buildPe, MACHINE, SCN } from '../testing/pe-synthetic.js';
import { parsePe } from './index.js';

const ROUNDS = 250;

/** Parses and uses a mutated file the way the Go readers do; anything but success or an InputError fails. */
async function exercise(bytes: Uint8Array, seed: number): Promise<void> {
  try {
    const pe = await parsePe(new BytesSource(`seed-${seed}`, bytes));
    for (const s of pe.layout.sections) mapAddress(pe.layout, s.vaddr);
    await pe.layout.findSymbol('runtime.pclntab');
    await pe.layout.findSymbol('main.main');
  } catch (e) {
    if (!(e instanceof InputError)) assert.fail(`seed ${seed}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}

/** Headers and section table, the import directory and the start of the symbol and string tables. */
function hotRanges(bytes: Uint8Array): [number, number][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const peOffset = view.getUint32(0x3c, true);
  const sections = view.getUint16(peOffset + 6, true);
  const optional = view.getUint16(peOffset + 20, true);
  const symbols = view.getUint32(peOffset + 12, true);
  const ranges: [number, number][] = [[0, peOffset + 24 + optional + sections * 40]];
  if (symbols !== 0) ranges.push([symbols, symbols + 4096]);
  for (let i = 0; i < sections; i++) {
    const at = peOffset + 24 + optional + i * 40;
    if (new TextDecoder().decode(bytes.subarray(at, at + 6)) === '.idata') {
      const raw = view.getUint32(at + 20, true);
      ranges.push([raw, raw + view.getUint32(at + 16, true)]);
    }
  }
  return ranges;
}

test('mutated Go PE files give a result or an InputError, never another exception', async () => {
  const original = new Uint8Array(readFileSync(fixture('go-windows-amd64')));
  const rng = new Rng(0x70653332);
  const hot = hotRanges(original);
  for (let seed = 0; seed < ROUNDS; seed++) await exercise(mutate(original, rng, hot), seed);
});

test('mutated synthetic PE32 files with imports and long names give a result or an InputError', async () => {
  const { bytes } = buildPe({
    pe32plus: false,
    machine: MACHINE.i386,
    imageBase: 0x400000n,
    sections: [
      { name: '.text', virtualSize: 0x100, rawSize: 0x100, characteristics: SCN.code | SCN.execute | SCN.read },
      { name: '.zdebug_info', virtualSize: 0x10, rawSize: 0x10, characteristics: SCN.initializedData | SCN.read },
    ],
    imports: ['kernel32.dll', 'ws2_32.dll'],
    symbols: [
      { name: 'runtime.pclntab', value: 0x10, sectionNumber: 1, aux: 1 },
      { name: 'main.main', value: 0x20, sectionNumber: 1 },
    ],
  });
  const rng = new Rng(0x1dea);
  for (let seed = 0; seed < ROUNDS; seed++) await exercise(mutate(bytes, rng, [[0, bytes.length]]), seed);
});
