import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FormatError } from '../errors.js';
import { BytesSource } from '../io/source.js';
import { buildElf, ET, type ElfSpec } from '../testing/elf-builder.js';
import { DF_1_PIE, hasDynamicSymbol, parseElf, type ElfFile } from './index.js';

/**
 * Deliberately broken files, one defect each, built from a known-good
 * synthetic file. Each case says whether the defect is fatal (FormatError)
 * or degrades (a partial result plus a warning) and checks that what does
 * not depend on the broken structure is still right.
 */

const parse = (bytes: Uint8Array): Promise<ElfFile> => parseElf(new BytesSource('hostile', bytes));

const BASE: ElfSpec = {
  type: ET.DYN,
  interpreter: '/lib/ld.so',
  dynamic: { needed: ['liba.so', 'libb.so'], soname: 'libself.so', flags1: DF_1_PIE },
  versionNeeds: [
    { file: 'liba.so', versions: ['A_1', 'A_2'] },
    { file: 'libb.so', versions: ['B_1'] },
  ],
  versionDefinitions: ['S_1'],
  symbols: [{ name: 'main', value: 0x1000 }],
  dynamicSymbols: [{ name: 'f', value: 0x2000, version: 'S_1' }],
  notes: [{ name: 'GNU', type: 1, desc: new Uint8Array(16) }],
};

/** A copy of the base file (64-bit little-endian unless `spec` says otherwise) and a patcher for its fields. */
function broken(spec: ElfSpec = {}) {
  const built = buildElf({ ...BASE, ...spec });
  const bytes = new Uint8Array(built.bytes);
  const view = new DataView(bytes.buffer);
  const le = spec.littleEndian ?? true;
  const range = (name: string): readonly [number, number] => {
    const r = built.ranges.get(name);
    assert.ok(r, `no ${name} in the built file`);
    return r;
  };
  return {
    bytes,
    built,
    range,
    u16: (at: number, v: number) => view.setUint16(at, v, le),
    u32: (at: number, v: number) => view.setUint32(at, v >>> 0, le),
    u64: (at: number, v: bigint) => view.setBigUint64(at, v, le),
    /** Offset of field `at` of section `index`'s 64-bit header. */
    shdr: (index: number, at: number) => range('shdrs')[0] + index * 64 + at,
    /** Offset of field `at` of program header `index` (64-bit). */
    phdr: (index: number, at: number) => range('phdrs')[0] + index * 56 + at,
    sectionIndex: (name: string) => built.sectionIndex.get(name) ?? assert.fail(`no section ${name}`),
  };
}

async function rejects(bytes: Uint8Array, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(parse(bytes), (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, /^hostile: /);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one-line message');
    return true;
  });
}

/** The facts that come from the header and program headers alone. */
function assertProgramVerdict(elf: ElfFile): void {
  assert.equal(elf.interpreter, '/lib/ld.so');
  assert.equal(elf.linkage, 'dynamic');
  assert.equal(elf.identity.arch, 'amd64');
  assert.equal(elf.identity.bits, 64);
}

test('not ELF, cut short, unknown class, byte order or type: fatal', async () => {
  const good = broken().bytes;
  await rejects(new Uint8Array(0), 'malformed', /not an ELF file/);
  await rejects(new TextEncoder().encode('#!/bin/sh\n'), 'malformed', /not an ELF file/);
  await rejects(good.slice(0, 5), 'truncated', /identification/);
  await rejects(good.slice(0, 40), 'truncated', /header needs 64 bytes/);
  const cls = broken();
  cls.bytes[4] = 3;
  await rejects(cls.bytes, 'unsupported', /class 3/);
  const order = broken();
  order.bytes[5] = 0;
  await rejects(order.bytes, 'unsupported', /byte order 0/);
  const type = broken();
  type.u16(16, 0);
  await rejects(type.bytes, 'unsupported', /type 0/);
});

test('program header table past the end of the file, or with a too-small entry size: fatal', async () => {
  const many = broken();
  many.u16(56, 0xfffe);
  await rejects(many.bytes, 'truncated', /program header table \(65534 entries/);
  const far = broken();
  far.u64(32, 0xffffffffffff0000n);
  await rejects(far.bytes, 'truncated', /program header table/);
  const xnum = broken({ extendedNumbering: true });
  xnum.u32(xnum.shdr(0, 44), 0xffffffff);
  await rejects(xnum.bytes, 'truncated', /program header table \(4294967295 entries/);
  const small = broken();
  small.u16(54, 20);
  await rejects(small.bytes, 'malformed', /entry size 20/);
});

test('huge e_shnum: the sections that fit are read, the verdict stands', async () => {
  const b = broken();
  b.u16(60, 0xfffe);
  const elf = await parse(b.bytes);
  assertProgramVerdict(elf);
  assert.ok(elf.sections.length > 0 && elf.sections.length < 0xfffe);
  assert.match(elf.warnings.join('\n'), /section header table \(65534 entries/);
});

test('e_shnum 0 with an absurd count in section 0: bounded by the file', async () => {
  const b = broken({ extendedNumbering: true });
  b.u64(b.shdr(0, 32), 1n << 40n);
  const elf = await parse(b.bytes);
  assertProgramVerdict(elf);
  assert.match(elf.warnings.join('\n'), /1099511627776 entries/);
});

test('section headers past the end, or with a bad entry size: no sections, program verdict kept', async () => {
  for (const patch of [(b: ReturnType<typeof broken>) => b.u64(40, 1n << 50n), (b: ReturnType<typeof broken>) => b.u16(58, 12)]) {
    const b = broken();
    patch(b);
    const elf = await parse(b.bytes);
    assertProgramVerdict(elf);
    assert.deepEqual(elf.sections, []);
    assert.ok(elf.warnings.length > 0);
    // Without sections the DT_* tags still find the versions and strings.
    assert.deepEqual(elf.dynamic?.needed, ['liba.so', 'libb.so']);
    assert.deepEqual(elf.versionNeeds.map((n) => n.file), ['liba.so', 'libb.so']);
    assert.deepEqual(elf.versionDefinitions, ['S_1']);
    assert.equal(elf.stripped, true);
    assert.equal(await elf.layout.findSymbol('main'), undefined);
  }
});

test('section name table index out of range (plain and SHN_XINDEX): names left empty', async () => {
  const plain = broken();
  plain.u16(62, 500);
  const xindex = broken({ extendedNumbering: true });
  xindex.u32(xindex.shdr(0, 40), 0x7fffffff);
  for (const b of [plain, xindex]) {
    const elf = await parse(b.bytes);
    assertProgramVerdict(elf);
    assert.ok(elf.sections.length > 5);
    assert.ok(elf.sections.every((s) => s.name === ''));
    assert.match(elf.warnings.join('\n'), /section name table index/);
    // Types still work: .symtab is found by type, so not stripped, and symbols resolve.
    assert.equal(elf.stripped, false);
    assert.deepEqual(await elf.layout.findSymbol('main'), { name: 'main', value: 0x1000n, size: 0n });
  }
});

test('section name offsets outside the name table: those names are empty', async () => {
  const b = broken();
  b.u32(b.shdr(b.sectionIndex('.symtab'), 0), 0xfffffff0);
  const elf = await parse(b.bytes);
  assert.equal(elf.sections[b.sectionIndex('.symtab')]?.name, '');
  assert.equal(elf.sections[b.sectionIndex('.dynstr')]?.name, '.dynstr');
  assert.match(elf.warnings.join('\n'), /1 section name offsets/);
});

test('dynamic string offsets out of range: "" for that string, the DT_NEEDED still counts', async () => {
  const b = broken();
  const [start] = b.range('.dynamic');
  b.u64(start + 8, 0xffffffn); // first entry is DT_NEEDED liba.so
  const elf = await parse(b.bytes);
  assert.deepEqual(elf.dynamic?.needed, ['', 'libb.so']);
  assert.equal(elf.linkage, 'dynamic');
  assert.match(elf.warnings.join('\n'), /could not be resolved/);
});

test('DT_STRSZ bounds the dynamic string table', async () => {
  const b = broken({ dynamic: { needed: ['liba.so', 'libb.so'], extra: [[10, 3n]] } });
  const elf = await parse(b.bytes);
  // The builder's own DT_STRSZ comes first; with it patched small, both names fall outside.
  const [start, end] = b.range('.dynamic');
  for (let at = start; at < end; at += 16) if (new DataView(b.bytes.buffer).getBigUint64(at, true) === 10n) b.u64(at + 8, 3n);
  const cut = await parse(b.bytes);
  assert.deepEqual(elf.dynamic?.needed, ['liba.so', 'libb.so']);
  assert.deepEqual(cut.dynamic?.needed, ['', '']);
});

test('dynamic section without DT_NULL: read to the end of the segment, no further', async () => {
  const elf = await parse(broken({ dynamic: { needed: ['liba.so'], soname: 'x.so', omitNull: true } }).bytes);
  assert.deepEqual(elf.dynamic?.needed, ['liba.so']);
  assert.equal(elf.dynamic?.soname, 'x.so');
  assert.match(elf.warnings.join('\n'), /no DT_NULL/);
});

test('PT_DYNAMIC larger than the file is cut to the file; outside the file falls back to .dynamic', async () => {
  const big = broken();
  big.u64(big.phdr(3, 32), 1n << 40n); // phdrs: interp, text, data, dynamic, note
  const elf = await parse(big.bytes);
  assert.deepEqual(elf.dynamic?.needed, ['liba.so', 'libb.so']);
  assert.match(elf.warnings.join('\n'), /runs past the end/);

  const far = broken();
  far.u64(far.phdr(3, 8), 1n << 40n);
  const fallback = await parse(far.bytes);
  assert.deepEqual(fallback.dynamic?.needed, ['liba.so', 'libb.so']);
  assert.match(fallback.warnings.join('\n'), /using the .dynamic section/);

  const nowhere = broken({ omitSectionHeaders: true });
  nowhere.u64(nowhere.phdr(3, 8), 1n << 40n);
  const empty = await parse(nowhere.bytes);
  assert.deepEqual(empty.dynamic?.needed, []);
  assert.equal(empty.linkage, 'dynamic', 'PT_DYNAMIC exists, as file(1) sees it');
});

test('DT_STRTAB outside every PT_LOAD: the .dynstr section is used', async () => {
  const b = broken();
  const [start, end] = b.range('.dynamic');
  for (let at = start; at < end; at += 16) if (new DataView(b.bytes.buffer).getBigUint64(at, true) === 5n) b.u64(at + 8, 0xdead0000n);
  const elf = await parse(b.bytes);
  assert.deepEqual(elf.dynamic?.needed, ['liba.so', 'libb.so']);
  assert.match(elf.warnings.join('\n'), /DT_STRTAB address 0xdead0000/);
});

test('version needs: a huge count, a runaway vn_next or vn_cnt stays bounded', async () => {
  const count = broken();
  count.u32(count.shdr(count.sectionIndex('.gnu.version_r'), 44), 0xffffffff);
  count.u32(count.range('.gnu.version_r')[0] + 12 + 32 + 16, 16); // second entry's vn_next: walk into what follows
  const elf = await parse(count.bytes);
  assert.deepEqual(elf.versionNeeds.slice(0, 2), [
    { file: 'liba.so', versions: ['A_1', 'A_2'] },
    { file: 'libb.so', versions: ['B_1'] },
  ]);
  assert.ok(elf.versionNeeds.length <= (count.range('.gnu.version_r')[1] - count.range('.gnu.version_r')[0]) / 16 + 2);

  const next = broken();
  next.u32(next.range('.gnu.version_r')[0] + 12, 0xfffffff0); // vn_next wrapping "backwards" in 32 bits
  const wrapped = await parse(next.bytes);
  assert.deepEqual(wrapped.versionNeeds, [{ file: 'liba.so', versions: ['A_1', 'A_2'] }]);
  assert.match(wrapped.warnings.join('\n'), /version needs list is broken after 1 entries/);

  const aux = broken();
  aux.u16(aux.range('.gnu.version_r')[0] + 2, 0xffff); // vn_cnt
  aux.u32(aux.range('.gnu.version_r')[0] + 16 + 16 + 12, 16); // last vernaux now points onward
  const auxed = await parse(aux.bytes);
  assert.ok(auxed.versionNeeds.length >= 1);
  assert.deepEqual(auxed.versionNeeds[0]?.versions.slice(0, 2), ['A_1', 'A_2']);
});

test('version definitions: a runaway vd_next is cut at the table', async () => {
  const b = broken();
  const [start] = b.range('.gnu.version_d');
  b.u32(b.shdr(b.sectionIndex('.gnu.version_d'), 44), 0xffffffff);
  b.u32(start + 28 + 16, 8); // last verdef's vd_next: into its own aux and beyond
  const elf = await parse(b.bytes);
  assert.equal(elf.versionDefinitions[0], 'S_1');
});

test('a symbol table larger than the file is read only as far as the file goes', async () => {
  const b = broken();
  b.u64(b.shdr(b.sectionIndex('.symtab'), 32), 1n << 45n);
  b.u64(b.shdr(b.sectionIndex('.dynsym'), 32), 1n << 45n);
  const elf = await parse(b.bytes);
  assert.deepEqual(await elf.layout.findSymbol('main'), { name: 'main', value: 0x1000n, size: 0n });
  assert.equal(await elf.layout.findSymbol('nothing-here'), undefined);
  assert.equal(await hasDynamicSymbol(elf, 'f', 'S_1'), true);
});

test('notes with impossible sizes end the note list', async () => {
  const b = broken();
  b.u32(b.range('.note')[0], 0xfffffff0); // namesz
  const elf = await parse(b.bytes);
  assert.deepEqual(elf.notes, []);
  assert.match(elf.warnings.join('\n'), /note at offset/);
  assert.equal(elf.identity.os, 'linux');
});

test('PT_INTERP outside the file: present but empty, still counted by the linkage', async () => {
  const b = broken({ dynamic: { flags1: DF_1_PIE } });
  b.u64(b.phdr(0, 8), 1n << 41n);
  const elf = await parse(b.bytes);
  assert.equal(elf.interpreter, '');
  assert.equal(elf.linkage, 'dynamic', 'an interpreter means not static-pie even when unreadable');
  assert.match(elf.warnings.join('\n'), /interpreter path/);
});

test('a file cut anywhere after the program headers still parses or fails cleanly', async () => {
  const whole = broken().bytes;
  for (let cut = 64; cut <= whole.length; cut += 7) {
    try {
      const elf = await parse(whole.slice(0, cut));
      await elf.layout.findSymbol('main');
    } catch (e) {
      assert.ok(e instanceof FormatError, `cut at ${cut}: ${String(e)}`);
    }
  }
});
