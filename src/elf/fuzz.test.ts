import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { BytesSource } from '../io/source.js';
import { buildElf, ET, type ElfSpec } from '../testing/elf-builder.js';
import { fixture } from '../testing/fixtures.js';
import { mutate, Rng } from '../testing/mutate.js';
import {
  DF_1_PIE,
  dynamicSymbolsFromSections,
  EM_MIPS,
  EM_PPC64,
  hasDynamicSymbol,
  importedDynamicSymbols,
  parseElf,
  parseElfLinking,
  readElfClassAndMachine,
  type ElfFile,
} from './index.js';

/**
 * Seeded mutations of synthetic and real ELF files, aimed mostly at the
 * header, the program and section header tables, the dynamic section and
 * the version tables. Every input must parse or fail with a FormatError
 * (an InputError), quickly: never another exception type, never a hang.
 */

const ITERATIONS = 150;
/** Far above a real parse of these small inputs (a few ms); a hang or a runaway loop blows it. */
const SLOW_MS = 1500;

const RICH: ElfSpec = {
  type: ET.DYN,
  interpreter: '/lib/ld.so',
  dynamic: { needed: ['liba.so', 'libb.so'], soname: 'libself.so', rpath: ['$ORIGIN'], runpath: ['/x:/y'], flags1: DF_1_PIE },
  versionNeeds: [
    { file: 'liba.so', versions: ['A_1', 'A_2'] },
    { file: 'libb.so', versions: ['B_1'] },
  ],
  versionDefinitions: ['S_1', 'S_2'],
  symbols: [
    { name: 'main', value: 0x1000 },
    { name: 'other', value: 0x1010 },
  ],
  dynamicSymbols: [{ name: 'f', value: 0x2000, version: 'S_1' }],
  notes: [{ name: 'GNU', type: 1, desc: new Uint8Array(16) }],
};

/** Structure ranges of a real file, from a parse of the intact file. */
function hotRanges(elf: ElfFile): [number, number][] {
  const h = elf.header;
  const hot: [number, number][] = [[0, h.class === 64 ? 64 : 52]];
  if (elf.segments.length > 0) hot.push([h.phoff, h.phoff + elf.segments.length * h.phentsize]);
  if (elf.sections.length > 0) hot.push([h.shoff, h.shoff + elf.sections.length * h.shentsize]);
  for (const s of elf.segments) if (s.type === 2 || s.type === 3 || s.type === 4) hot.push([s.offset, s.offset + s.fileSize]);
  for (const s of elf.sections) {
    if (['.dynstr', '.gnu.version_r', '.gnu.version_d', '.gnu.version', '.shstrtab'].includes(s.name)) hot.push([s.offset, s.offset + s.size]);
  }
  return hot;
}

async function realInput(path: string): Promise<{ name: string; bytes: Uint8Array; hot: [number, number][] }> {
  const bytes = new Uint8Array(await readFile(path));
  const elf = await parseElf(new BytesSource(path, bytes));
  return { name: path, bytes, hot: hotRanges(elf) };
}

async function exercise(bytes: Uint8Array, label: string): Promise<void> {
  const source = new BytesSource(label, bytes);
  const started = performance.now();
  try {
    await readElfClassAndMachine(source);
    const elf = await parseElf(source);
    await elf.layout.findSymbol('main');
    await hasDynamicSymbol(elf, 'f', 'S_1');
    assert.ok(['static', 'static-pie', 'dynamic'].includes(elf.linkage));
    // The loader's view, with its dynamic symbols found through the dynamic section and hash tables.
    const linking = await parseElfLinking(source);
    await importedDynamicSymbols(source, linking.header, await linking.readDynamicSymbols(), ['getaddrinfo', 'getpwnam']);
    await importedDynamicSymbols(source, elf.header, dynamicSymbolsFromSections(source, elf.header, elf.sections), ['getaddrinfo']);
  } catch (e) {
    if (!(e instanceof InputError)) {
      const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
      assert.fail(`${label}: expected success or FormatError, got ${detail}`);
    }
    assert.ok(!e.message.includes('\n'), `${label}: multi-line message ${e.message}`);
  }
  const elapsed = performance.now() - started;
  assert.ok(elapsed < SLOW_MS, `${label}: took ${elapsed.toFixed(0)} ms`);
}

async function fuzz(name: string, bytes: Uint8Array, hot: [number, number][], seed: number): Promise<void> {
  const rng = new Rng(seed);
  for (let i = 0; i < ITERATIONS; i++) await exercise(mutate(bytes, rng, hot), `${name} (seed ${seed}, iteration ${i})`);
}

test('fuzz: synthetic files of both classes and byte orders', { timeout: 60_000 }, async () => {
  const specs: [string, ElfSpec][] = [
    ['elf64 le', RICH],
    ['elf32 be', { ...RICH, class: 32, littleEndian: false, machine: EM_MIPS }],
    ['elf64 be, extended numbering', { ...RICH, littleEndian: false, machine: EM_PPC64, extendedNumbering: true }],
    ['no section headers', { ...RICH, omitSectionHeaders: true }],
    ['relocatable', { type: ET.REL, symbols: [{ name: 'main', value: 0 }] }],
  ];
  for (const [i, [name, spec]] of specs.entries()) {
    const built = buildElf(spec);
    await fuzz(name, built.bytes, built.hot, 0x5eed0 + i);
  }
});

test('fuzz: real binaries (glibc and musl, executable and shared)', { timeout: 60_000 }, async () => {
  const paths = ['/usr/bin/true', fixture('c-versioned'), fixture('c-shared'), fixture('c-musl-static')];
  for (const [i, path] of paths.entries()) {
    const input = await realInput(path);
    assert.ok(input.hot.length >= 3, `${path}: expected header, tables and dynamic ranges`);
    await fuzz(path, input.bytes, input.hot, 0xf00d0 + i);
  }
});
