import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BinaryIdentity } from '../binary/identity.js';
import { mapAddress } from '../binary/layout.js';
import { FormatError } from '../errors.js';
import { BytesSource } from '../io/source.js';
import { filePeIdentity } from '../testing/file-oracle.js';
import { goDebugOracle } from '../testing/go-debug-oracle.js';
import { buildPe, FILE_DLL, FILE_EXECUTABLE_IMAGE, MACHINE, SCN, type SynthPe, type SynthPeSection } from '../testing/pe-synthetic.js';
import { run } from '../testing/process.js';
import { isPe, parsePe } from './index.js';

const SECTIONS: SynthPeSection[] = [
  { name: '.text', virtualSize: 0x100, rawSize: 0x100, characteristics: SCN.code | SCN.execute | SCN.read },
  // VirtualSize below SizeOfRawData: only VirtualSize bytes are the section's.
  { name: '.data', virtualSize: 0x80, rawSize: 0x200, characteristics: SCN.initializedData | SCN.read | SCN.write },
  // No raw data at all: zero-filled by the loader.
  { name: '.bss', virtualSize: 0x400, rawSize: 0, characteristics: SCN.uninitializedData | SCN.read | SCN.write },
  // A name longer than eight bytes goes through the string table ("/4").
  { name: '.zdebug_info', virtualSize: 0x10, rawSize: 0x10, characteristics: SCN.initializedData | SCN.read },
];

function parse(bytes: Uint8Array, name = 'synthetic.exe'): ReturnType<typeof parsePe> {
  return parsePe(new BytesSource(name, bytes));
}

async function rejectsWith(promise: Promise<unknown>, code: FormatError['code'], pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected a FormatError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, /^bad\.exe: /);
    assert.match(e.message, pattern);
    return true;
  });
}

function withTempFile<T>(bytes: Uint8Array, use: (path: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-pe-'));
  const path = join(dir, 'file.exe');
  writeFileSync(path, bytes);
  return use(path).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const IDENTITY_CASES: [string, Partial<SynthPe> & { pe32plus: boolean; machine: number }, Omit<BinaryIdentity, 'format' | 'os' | 'endian'>][] = [
  ['PE32+ amd64 executable', { pe32plus: true, machine: MACHINE.amd64 }, { arch: 'amd64', bits: 64, type: 'executable' }],
  ['PE32+ amd64 DLL', { pe32plus: true, machine: MACHINE.amd64, characteristics: FILE_EXECUTABLE_IMAGE | FILE_DLL | 0x20 }, { arch: 'amd64', bits: 64, type: 'shared-object' }],
  ['PE32 386 DLL', { pe32plus: false, machine: MACHINE.i386, characteristics: FILE_EXECUTABLE_IMAGE | FILE_DLL | 0x100 }, { arch: '386', bits: 32, type: 'shared-object' }],
  ['PE32+ arm64 executable', { pe32plus: true, machine: MACHINE.arm64 }, { arch: 'arm64', bits: 64, type: 'executable' }],
  ['PE32 ARMv7 Thumb executable', { pe32plus: false, machine: MACHINE.armnt }, { arch: 'arm', bits: 32, type: 'executable' }],
  ['PE32+ riscv64 executable', { pe32plus: true, machine: MACHINE.riscv64 }, { arch: 'riscv64', bits: 64, type: 'executable' }],
];

for (const [what, spec, expected] of IDENTITY_CASES) {
  test(`identity of a synthetic ${what} matches its headers and file(1)`, async () => {
    const { bytes } = buildPe({ imageBase: 0x400000n, sections: SECTIONS, ...spec });
    const pe = await parse(bytes);
    assert.deepEqual(pe.identity, { format: 'pe', os: 'windows', endian: 'little', ...expected });
    await withTempFile(bytes, async (path) => assert.deepEqual(pe.identity, await filePeIdentity(path)));
  });
}

for (const pe32plus of [true, false]) {
  test(`${pe32plus ? 'PE32+' : 'PE32'} layout, long names, symbols and imports (checked with Go's debug/pe and objdump)`, async () => {
    const imageBase = pe32plus ? 0x140000000n : 0x400000n;
    const built = buildPe({
      pe32plus,
      machine: pe32plus ? MACHINE.amd64 : MACHINE.i386,
      imageBase,
      sections: SECTIONS,
      imports: ['kernel32.dll', 'ws2_32.dll', 'advapi32.dll'],
      symbols: [
        { name: 'runtime.text', value: 0, sectionNumber: 1, aux: 1 },
        { name: 'main.main', value: 0x40, sectionNumber: 1 },
        { name: 'runtime.pclntab', value: 0x10, sectionNumber: 2, aux: 2 },
        { name: 'runtime.epclntab', value: 0x70, sectionNumber: 2 },
        { name: 'abs', value: 0x1234, sectionNumber: -1 },
        { name: 'GetProcAddress', value: 0, sectionNumber: 0 },
      ],
    });
    const pe = await parse(built.bytes);
    const rva = (i: number): bigint => imageBase + BigInt(built.sections[i]?.virtualAddress ?? 0);
    const raw = (i: number): number => built.sections[i]?.pointerToRawData ?? -1;
    assert.deepEqual(
      pe.layout.sections.map((s) => [s.name, s.vaddr, s.offset, s.fileSize, s.memSize, s.writable, s.executable]),
      [
        ['.text', rva(0), raw(0), 0x100, 0x100n, false, true],
        ['.data', rva(1), raw(1), 0x80, 0x80n, true, false],
        ['.bss', rva(2), 0, 0, 0x400n, true, false],
        ['.zdebug_info', rva(3), raw(3), 0x10, 0x10n, false, false],
        ['.idata', rva(4), raw(4), 0x75, 0x75n, true, false],
      ],
    );
    assert.deepEqual(mapAddress(pe.layout, rva(1) + 0x10n), { offset: raw(1) + 0x10, available: 0x70 });
    assert.equal(mapAddress(pe.layout, rva(1) + 0x80n), undefined, 'past VirtualSize the bytes are not the section\'s');
    assert.equal(mapAddress(pe.layout, rva(2)), undefined, '.bss has no file bytes');
    assert.deepEqual(pe.imports, ['kernel32.dll', 'ws2_32.dll', 'advapi32.dll']);
    assert.equal(pe.stripped, false);

    // Values are virtual addresses; sizes reach the next symbol or the section's end.
    assert.deepEqual(await pe.layout.findSymbol('runtime.text'), { name: 'runtime.text', value: rva(0), size: 0x40n });
    assert.deepEqual(await pe.layout.findSymbol('main.main'), { name: 'main.main', value: rva(0) + 0x40n, size: 0xc0n });
    assert.deepEqual(await pe.layout.findSymbol('runtime.pclntab'), { name: 'runtime.pclntab', value: rva(1) + 0x10n, size: 0x60n });
    assert.deepEqual(await pe.layout.findSymbol('abs'), { name: 'abs', value: 0x1234n, size: 0n });
    assert.equal(await pe.layout.findSymbol('GetProcAddress'), undefined);

    await withTempFile(built.bytes, async (path) => {
      const oracle = await goDebugOracle(path, ['runtime.text', 'main.main', 'runtime.pclntab', 'runtime.epclntab']);
      assert.deepEqual(
        pe.layout.sections.map((s) => [s.name, String(s.vaddr), s.rawFlags]),
        (oracle.Sections ?? []).map((s) => [s.Name, s.Addr, s.Flags]),
      );
      assert.equal(Object.keys(oracle.Symbols).length, 4);
      for (const [name, value] of Object.entries(oracle.Symbols)) assert.equal((await pe.layout.findSymbol(name))?.value, BigInt(value));
      const { stdout } = await run('objdump', ['-p', path]);
      assert.deepEqual(pe.imports, [...stdout.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1]));
    });
  });
}

test('isPe needs "MZ" and "PE\\0\\0" where e_lfanew points', () => {
  const { bytes } = buildPe({ pe32plus: true, machine: MACHINE.amd64, imageBase: 0x400000n, sections: SECTIONS, lfanew: 0x80 });
  assert.equal(isPe(bytes.subarray(0, 0x200)), true);
  assert.equal(isPe(bytes.subarray(0, 0x40)), false, 'the head must reach the signature');
  const dos = new Uint8Array(bytes.subarray(0, 0x200));
  dos[0x80] = 0x4e; // "NE": a 16-bit Windows program
  assert.equal(isPe(dos), false);
  assert.equal(isPe(new Uint8Array([0x4d, 0x5a])), false);
});

/** A valid PE32+ with symbols and imports, plus where its structures are, to corrupt. */
function corruptible(spec: Partial<SynthPe> = {}): ReturnType<typeof buildPe> & { view: DataView } {
  const built = buildPe({
    pe32plus: true,
    machine: MACHINE.amd64,
    imageBase: 0x140000000n,
    sections: SECTIONS,
    imports: ['kernel32.dll'],
    symbols: [{ name: 'main.main', value: 0, sectionNumber: 1 }],
    ...spec,
  });
  return { ...built, view: new DataView(built.bytes.buffer) };
}

test('malformed headers and tables give FormatErrors naming the file', async () => {
  const bad = (b: Uint8Array): Promise<unknown> => parse(b, 'bad.exe');
  await rejectsWith(bad(new Uint8Array([0x4d, 0x5a, 0, 0])), 'truncated', /MS-DOS header/);
  await rejectsWith(bad(new Uint8Array(64)), 'malformed', /no MZ header/);

  let c = corruptible();
  c.view.setUint32(0x3c, 0x7ffffff0, true);
  await rejectsWith(bad(c.bytes), 'truncated', /PE signature/);

  c = corruptible();
  c.bytes[c.offsets.coffHeader - 4] = 0x4e; // "NE\0\0"
  await rejectsWith(bad(c.bytes), 'malformed', /no PE signature/);

  c = corruptible();
  c.view.setUint16(c.offsets.coffHeader + 16, 0, true); // SizeOfOptionalHeader
  await rejectsWith(bad(c.bytes), 'unsupported', /COFF object/);

  c = corruptible();
  c.view.setUint16(c.offsets.optionalHeader, 0x107, true); // a ROM image
  await rejectsWith(bad(c.bytes), 'unsupported', /0x107/);

  c = corruptible();
  c.view.setUint16(c.offsets.coffHeader + 2, 0xffff, true); // NumberOfSections
  await rejectsWith(bad(c.bytes), 'truncated', /section table/);

  c = corruptible();
  c.view.setUint32(c.offsets.sectionTable + 20, 0x7fff0000, true); // .text raw data past the end
  await rejectsWith(bad(c.bytes), 'truncated', /section \.text/);

  c = corruptible();
  c.view.setUint32(c.offsets.coffHeader + 12, 0xffffffff, true); // NumberOfSymbols
  await rejectsWith(bad(c.bytes), 'truncated', /COFF symbol table of 4294967295 entries/);

  c = corruptible();
  c.view.setUint32(c.offsets.coffHeader + 8, 0x7ffffff0, true); // PointerToSymbolTable
  await rejectsWith(bad(c.bytes), 'truncated', /COFF symbol table/);

  c = corruptible();
  c.view.setUint32(c.offsets.stringTable, 0x7fffffff, true); // string table size; needed for "/4"
  await rejectsWith(bad(c.bytes), 'truncated', /COFF string table/);

  c = corruptible();
  c.bytes.set(new TextEncoder().encode('/9999999'), c.offsets.sectionTable + 3 * 40);
  await rejectsWith(bad(c.bytes), 'malformed', /section 3 \(\/9999999\) names string offset 9999999/);
});

test('bad symbols surface on lookup, bad import tables at parse', async () => {
  let c = corruptible();
  c.view.setInt16(c.offsets.symbolTable + 12, 77, true); // symbol in section 77 of 5
  const pe = await parse(c.bytes, 'bad.exe');
  await rejectsWith(pe.layout.findSymbol('main.main'), 'malformed', /section 77 of 5/);

  const bad = (b: Uint8Array): Promise<unknown> => parse(b, 'bad.exe');
  const importDir = (built: ReturnType<typeof corruptible>): number => built.offsets.optionalHeader + 112 + 8;
  c = corruptible();
  c.view.setUint32(importDir(c), 0x7fff0000, true); // import directory RVA in no section
  await rejectsWith(bad(c.bytes), 'malformed', /import directory at RVA 0x7fff0000 is in no section/);

  c = corruptible();
  c.view.setUint32(c.offsets.importDirectory + 12, 0x7fff0000, true); // DLL name RVA in no section
  await rejectsWith(bad(c.bytes), 'malformed', /import descriptor 0 names its DLL at RVA 0x7fff0000/);

  c = corruptible();
  // Fill the whole .idata raw data with non-zero descriptors: no terminator before the section ends.
  const idata = c.sections.find((s) => s.name === '.idata');
  assert.ok(idata);
  for (let at = 0; at + 20 <= 0x200; at += 20) {
    for (const field of [0, 12, 16]) c.view.setUint32(idata.pointerToRawData + at + field, idata.virtualAddress + 0x1f0, true);
  }
  c.view.setUint32(c.offsets.sectionTable + 4 * 40 + 8, 0x200, true); // VirtualSize covers the raw data
  await rejectsWith(bad(c.bytes), 'truncated', /no terminating entry within 25 descriptors/);
});

test('a hostile COFF table (50,000 long names into one run without NUL) is searched without decoding it', { timeout: 20_000 }, async () => {
  const count = 50_000;
  const built = buildPe({
    pe32plus: true,
    machine: MACHINE.amd64,
    imageBase: 0x400000n,
    sections: [SECTIONS[0] as SynthPeSection],
    symbols: Array.from({ length: count }, () => ({ name: 'long.symbol.name', value: 0, sectionNumber: 1 })),
  });
  const run = 1 << 20;
  const bytes = new Uint8Array(built.offsets.stringTable + run).fill(0x41);
  bytes.set(built.bytes.subarray(0, built.offsets.stringTable));
  const view = new DataView(bytes.buffer);
  view.setUint32(built.offsets.stringTable, run, true);
  for (let i = 0; i < count; i++) view.setUint32(built.offsets.symbolTable + i * 18 + 4, 4 + i * 16, true);
  const name = new TextEncoder().encode('runtime.pclntab\0');
  bytes.set(name, bytes.length - name.length);
  const last = built.offsets.symbolTable + (count - 1) * 18;
  view.setUint32(last + 4, run - name.length, true); // the last entry: a real, terminated name
  view.setUint32(last + 8, 0x80, true);
  const pe = await parse(bytes);
  assert.equal(await pe.layout.findSymbol('main.main'), undefined);
  assert.deepEqual(await pe.layout.findSymbol('runtime.pclntab'), { name: 'runtime.pclntab', value: 0x401080n, size: 0x80n });
});
