import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
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
  for (const dir of dirs.filter((d) => existsSync(d))) {
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

/**
 * A shared object with two imports whose symbols are counted through the GNU
 * hash table `table` only (no DT_HASH), with 64 zero bytes after the table.
 */
function withGnuHash(table: Uint8Array, machine?: number, extra: readonly (readonly [number, bigint])[] = []): BytesSource {
  const spec = (at: bigint) =>
    buildElf({
      type: ET.DYN,
      ...(machine === undefined ? {} : { machine }),
      dynamic: { needed: ['libc.so.6'], omitHash: true, extra: [[DT_GNU_HASH, at], ...extra] },
      dynamicSymbols: [
        { name: 'getaddrinfo', value: 0, defined: false },
        { name: 'getpwnam', value: 0, defined: false },
      ],
      sections: [
        { name: '.gnu.hash', flags: 2, data: table },
        { name: '.after', flags: 2, data: new Uint8Array(64) },
      ],
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

/** The dynamic table of `source`, read the loader's way. */
async function dynamicOf(source: BytesSource): Promise<{ linking: Awaited<ReturnType<typeof parseElfLinking>>; table: DynamicTable }> {
  const linking = await parseElfLinking(source);
  const table = await readDynamic(source, linking.header, linking.segments, [], []);
  assert.ok(table);
  return { linking, table };
}

test('DT_GNU_HASH: the count is the end of the highest bucket\'s chain', async () => {
  // nbuckets 1, symoffset 1, one 64-bit bloom word, bucket → symbol 1, chains for symbols 1 and 2 (2 ends it).
  const good = withGnuHash(gnuHashTable([1, 1, 1, 0, 0, 0, 1, 0x10, 0x21]));
  const linking = await parseElfLinking(good);
  const table = await linking.readDynamicSymbols();
  assert.equal(table?.count, 3);
  assert.deepEqual([...(await importedDynamicSymbols(good, linking.header, table, LOOKUPS))].sort(), ['getaddrinfo', 'getpwnam']);
  // Nothing hashed: every symbol sits below symoffset.
  const none = await parseElfLinking(withGnuHash(gnuHashTable([1, 3, 1, 0, 0, 0, 0])));
  assert.equal((await none.readDynamicSymbols())?.count, 3);
});

test('a hash table that cannot be right (a chain running past the symbols that fit, buckets past the table) counts nothing; the section headers answer instead', async () => {
  for (const words of [
    [1, 1, 1, 0, 0, 0, 1, 0x10, 0x20],
    [0x7fffffff, 1, 1, 0, 0, 0],
    [1, 0x7fffffff, 1, 0, 0, 0, 0],
  ]) {
    const source = withGnuHash(gnuHashTable(words));
    const { linking, table } = await dynamicOf(source);
    assert.equal(await dynamicSymbolsFromDynamic(source, linking.header, linking.segments, table), undefined, JSON.stringify(words));
    const fallback = await linking.readDynamicSymbols();
    assert.equal(fallback?.count, 3, JSON.stringify(words));
    assert.deepEqual([...(await importedDynamicSymbols(source, linking.header, fallback, LOOKUPS))].sort(), ['getaddrinfo', 'getpwnam']);
  }
});

test('MIPS: DT_MIPS_SYMTABNO is the count; no hash table and no DT_SYMTAB fall back to the section headers', async () => {
  const EM_MIPS = 8;
  const DT_MIPS_SYMTABNO = 0x70000011;
  // A GNU hash table that would say 3, overruled by the MIPS tag.
  const mips = withGnuHash(gnuHashTable([1, 1, 1, 0, 0, 0, 1, 0x10, 0x21]), EM_MIPS, [[DT_MIPS_SYMTABNO, 2n]]);
  const { linking, table } = await dynamicOf(mips);
  assert.equal((await dynamicSymbolsFromDynamic(mips, linking.header, linking.segments, table))?.count, 2);
  // DT_SYMTAB without a hash table to count with: the dynamic section cannot say; the section headers do.
  const uncounted = new BytesSource(
    'uncounted.so',
    buildElf({ type: ET.DYN, dynamic: { needed: ['libc.so.6'], omitHash: true }, dynamicSymbols: [{ name: 'getaddrinfo', value: 0, defined: false }] }).bytes,
  );
  const plain = await dynamicOf(uncounted);
  assert.equal(await dynamicSymbolsFromDynamic(uncounted, plain.linking.header, plain.linking.segments, plain.table), undefined);
  const fallback = await plain.linking.readDynamicSymbols();
  assert.equal(fallback?.count, 2);
  assert.deepEqual([...(await importedDynamicSymbols(uncounted, plain.linking.header, fallback, LOOKUPS))], ['getaddrinfo']);
  // No dynamic symbols at all: nothing, and the rest of the parse unchanged.
  const bare = await parseElfLinking(new BytesSource('plain.so', buildElf({ type: ET.DYN, dynamic: { needed: ['libc.so.6'] } }).bytes));
  assert.equal(await bare.readDynamicSymbols(), undefined);
  assert.deepEqual(bare.dynamic?.needed, ['libc.so.6']);
});

test('a program whose section headers were stripped still has its dynamic symbols, through the dynamic section', async () => {
  const spec = {
    type: ET.DYN,
    interpreter: '/lib64/ld-linux-x86-64.so.2',
    dynamic: { needed: ['libc.so.6'] },
    dynamicSymbols: [
      { name: 'puts', value: 0, defined: false },
      { name: 'getaddrinfo', value: 0, defined: false },
    ],
  };
  for (const omitSectionHeaders of [false, true]) {
    const source = new BytesSource('program', buildElf({ ...spec, omitSectionHeaders }).bytes);
    const elf = await parseElf(source);
    assert.equal(elf.sections.length, omitSectionHeaders ? 0 : elf.sections.length);
    const table = await elf.readDynamicSymbols();
    assert.equal(table?.count, 3, `section headers ${omitSectionHeaders ? 'stripped' : 'kept'}`);
    assert.deepEqual([...(await importedDynamicSymbols(source, elf.header, table, LOOKUPS))], ['getaddrinfo']);
  }
});
