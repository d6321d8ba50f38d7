import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BytesSource } from '../io/source.js';
import { buildElf, ET, type ElfSpec } from '../testing/elf-builder.js';
import { parseElf, parseElfLinking } from './parse.js';
import { importedDynamicSymbols } from './symbols.js';
import { dynamicSymbolsFromSections } from './dynamic-symbols.js';

const LOOKUPS = ['getaddrinfo', 'getpwnam', 'getpwnam_r', 'initgroups'];

function elfOf(spec: ElfSpec, patch?: (bytes: Uint8Array, ranges: ReadonlyMap<string, readonly [number, number]>) => void) {
  const built = buildElf(spec);
  patch?.(built.bytes, built.ranges);
  return parseElf(new BytesSource('test.so', built.bytes));
}

test('importedDynamicSymbols: the wanted names a file imports, not those it defines', async () => {
  const elf = await elfOf({
    type: ET.DYN,
    dynamic: { needed: ['libc.so.6'] },
    dynamicSymbols: [
      { name: 'printf', value: 0, defined: false },
      { name: 'getaddrinfo', value: 0, defined: false },
      { name: 'getpwnam', value: 0x1000, defined: true },
    ],
  });
  assert.deepEqual([...(await importedDynamicSymbols(elf.source, elf.header, dynamicSymbolsFromSections(elf.source, elf.header, elf.sections), LOOKUPS))], ['getaddrinfo']);
  // The loader's view (DT_SYMTAB, counted through DT_HASH) finds the same.
  const linking = await parseElfLinking(elf.source);
  const table = await linking.readDynamicSymbols();
  assert.equal(table?.count, 4);
  assert.deepEqual([...(await importedDynamicSymbols(linking.source, linking.header, table, LOOKUPS))], ['getaddrinfo']);
});

test('importedDynamicSymbols: none of the names in the string table, none imported', async () => {
  const elf = await elfOf({ type: ET.DYN, dynamicSymbols: [{ name: 'getpwnam_x', value: 0, defined: false }, { name: 'puts', value: 0, defined: false }] });
  assert.deepEqual([...(await importedDynamicSymbols(elf.source, elf.header, dynamicSymbolsFromSections(elf.source, elf.header, elf.sections), LOOKUPS))], []);
});

test('importedDynamicSymbols: a name that starts inside a longer string (a shared tail) is found', async () => {
  const elf = await elfOf(
    { type: ET.DYN, dynamicSymbols: [{ name: 'my_getpwnam_r', value: 0x10, defined: true }, { name: 'placeholder', value: 0, defined: false }] },
    (bytes, ranges) => {
      // Point the import's st_name at "getpwnam_r" inside "my_getpwnam_r", as linkers that merge tails do.
      const [strStart, strEnd] = ranges.get('.dynstr') ?? [0, 0];
      const [symStart] = ranges.get('.dynsym') ?? [0, 0];
      const inside = Buffer.from(bytes.subarray(strStart, strEnd)).indexOf('my_getpwnam_r\0') + 3;
      assert.ok(inside > 3);
      new DataView(bytes.buffer, bytes.byteOffset).setUint32(symStart + 2 * 24, inside, true);
    },
  );
  assert.deepEqual([...(await importedDynamicSymbols(elf.source, elf.header, dynamicSymbolsFromSections(elf.source, elf.header, elf.sections), LOOKUPS))], ['getpwnam_r']);
});
