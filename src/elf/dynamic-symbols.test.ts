import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BytesSource, FileSource } from '../io/source.js';
import { buildElf, ET } from '../testing/elf-builder.js';
import { dynamicSymbolsFromDynamic, dynamicSymbolsFromSections } from './dynamic-symbols.js';
import { parseElf, parseElfLinking } from './parse.js';
import { importedDynamicSymbols } from './symbols.js';
import { readDynamic, type DynamicTable } from './dynamic.js';
import { DT_GNU_HASH } from './types.js';

const LOOKUPS = ['getaddrinfo', 'gethostbyname', 'getpwnam', 'getpwnam_r', 'getpwuid', 'getgrnam', 'getgrgid', 'initgroups'];

/** The ELF files of this machine's library and program directories. */
function hostElfFiles(): string[] {
  const dirs = ['/usr/bin', '/usr/sbin', '/usr/lib', ...readdirSync('/usr/lib').filter((d) => d.endsWith('-linux-gnu')).map((d) => join('/usr/lib', d))];
  const files: string[] = [];
  for (const dir of dirs) {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      try {
        if (statSync(path).isFile() && (name.includes('.so') || !dir.startsWith('/usr/lib'))) files.push(path);
      } catch {
        // a dangling link
      }
    }
  }
  return files;
}

test('the loader\'s way to the dynamic symbols (DT_SYMTAB, DT_HASH/DT_GNU_HASH) agrees with the section headers on every dynamic ELF file here', async () => {
  let compared = 0;
  for (const path of hostElfFiles()) {
    const source = await FileSource.open(path);
    try {
      const head = await source.read(0, Math.min(4, source.size));
      if (head.length < 4 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) continue;
      const elf = await parseElf(source);
      const fromSections = dynamicSymbolsFromSections(source, elf.header, elf.sections);
      const linking = await parseElfLinking(source);
      const fromDynamic = await linking.readDynamicSymbols();
      if (fromSections === undefined || elf.dynamic === null) continue;
      assert.ok(fromDynamic, `${path}: no dynamic symbols found through the dynamic section`);
      assert.deepEqual([fromDynamic.offset, fromDynamic.entsize, fromDynamic.count], [fromSections.offset, fromSections.entsize, fromSections.count], path);
      assert.equal(fromDynamic.strings, fromSections.strings, `${path}: one string table`);
      assert.deepEqual(await importedDynamicSymbols(source, elf.header, fromDynamic, LOOKUPS), await importedDynamicSymbols(source, elf.header, fromSections, LOOKUPS), path);
      compared++;
    } finally {
      await source.close();
    }
  }
  assert.ok(compared > 100, `only ${compared} dynamic ELF files compared`);
});

/** A shared object with two imports whose symbols are counted through the GNU hash table `table` only (no DT_HASH). */
function withGnuHash(table: Uint8Array): BytesSource {
  const spec = (at: bigint) =>
    buildElf({
      type: ET.DYN,
      dynamic: { needed: ['libc.so.6'], omitHash: true, extra: [[DT_GNU_HASH, at]] },
      dynamicSymbols: [
        { name: 'getaddrinfo', value: 0, defined: false },
        { name: 'getpwnam', value: 0, defined: false },
      ],
      sections: [{ name: '.gnu.hash', flags: 2, data: table }],
    });
  // A shared object's read-only segment maps file offsets to the same addresses; the table's place does not move with its tag's value.
  const at = spec(0n).ranges.get('.gnu.hash')?.[0];
  assert.ok(at !== undefined && at > 0);
  return new BytesSource('gnu-hash.so', spec(BigInt(at)).bytes);
}

function gnuHashTable(words: number[]): Uint8Array {
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w >>> 0, true));
  return bytes;
}

test('DT_GNU_HASH: the count is the end of the highest bucket\'s chain; a broken table counts nothing and reads within its segment', async () => {
  // nbuckets 1, symoffset 1, one 64-bit bloom word, bucket → symbol 1, chains for symbols 1 and 2 (2 ends it).
  const good = withGnuHash(gnuHashTable([1, 1, 1, 0, 0, 0, 1, 0x10, 0x21]));
  const linking = await parseElfLinking(good);
  const table = await linking.readDynamicSymbols();
  assert.equal(table?.count, 3);
  assert.deepEqual([...(await importedDynamicSymbols(good, linking.header, table, LOOKUPS))].sort(), ['getaddrinfo', 'getpwnam']);
  // Nothing hashed: every symbol sits below symoffset.
  const none = await parseElfLinking(withGnuHash(gnuHashTable([1, 3, 1, 0, 0, 0, 0])));
  assert.equal((await none.readDynamicSymbols())?.count, 3);
  // A chain that never ends, and a bucket count far past the table: no count, no symbols, no throw.
  for (const words of [[1, 1, 1, 0, 0, 0, 1, 0x10, 0x20], [0x7fffffff, 1, 1, 0, 0, 0]]) {
    const broken = await parseElfLinking(withGnuHash(gnuHashTable(words)));
    const t = await broken.readDynamicSymbols();
    assert.equal(t?.count ?? 0, 0, JSON.stringify(words));
    assert.deepEqual([...(await importedDynamicSymbols(broken.source, broken.header, t, LOOKUPS))], []);
  }
});

test('no DT_SYMTAB, or no hash table: no dynamic symbols, the rest of the parse unchanged', async () => {
  const bytes = buildElf({ type: ET.DYN, dynamic: { needed: ['libc.so.6'] } }).bytes;
  const linking = await parseElfLinking(new BytesSource('plain.so', bytes));
  assert.equal(await linking.readDynamicSymbols(), undefined);
  assert.deepEqual(linking.dynamic?.needed, ['libc.so.6']);
  // DT_SYMTAB without a hash table to count with: an empty table, not a guess.
  const uncounted = buildElf({ type: ET.DYN, dynamic: { needed: ['libc.so.6'], omitHash: true }, dynamicSymbols: [{ name: 'getaddrinfo', value: 0, defined: false }] }).bytes;
  const source = new BytesSource('uncounted.so', uncounted);
  const header = (await parseElfLinking(source)).header;
  const table = await dynamicSymbolsFromDynamic(source, header, (await parseElfLinking(source)).segments, await dynamicOf(source));
  assert.equal(table?.count, 0);
});

/** The dynamic table of `source`, read the loader's way. */
async function dynamicOf(source: BytesSource): Promise<DynamicTable> {
  const linking = await parseElfLinking(source);
  const table = await readDynamic(source, linking.header, linking.segments, [], []);
  assert.ok(table);
  return table;
}
