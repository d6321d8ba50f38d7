import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BinaryIdentity } from '../binary/identity.js';
import { mapAddress } from '../binary/layout.js';
import { FormatError } from '../errors.js';
import { BytesSource } from '../io/source.js';
import { fileMachOIdentity } from '../testing/file-oracle.js';
import { goDebugOracle } from '../testing/go-debug-oracle.js';
import {
  buildFat,
  buildMachO,
  CPU,
  FILETYPE,
  LC,
  loadCommandsOffset,
  MH_PIE,
  N_EXT,
  N_SECT,
  S_ZEROFILL,
  type SynthMachO,
  type SynthSegment,
} from '../testing/macho-synthetic.js';
import { isMachO, parseMachO } from './index.js';

const TEXT: SynthSegment = {
  segname: '__TEXT',
  vmaddr: 0x1000n,
  vmsize: 0x1000n,
  fileoff: 0,
  filesize: 0x1000,
  maxprot: 5,
  initprot: 5,
  sections: [{ sectname: '__text', addr: 0x1800n, size: 0x100n, offset: 0x800 }],
};
const DATA: SynthSegment = {
  segname: '__DATA',
  vmaddr: 0x2000n,
  vmsize: 0x2000n,
  fileoff: 0x1000,
  filesize: 0x1000,
  maxprot: 3,
  initprot: 3,
  sections: [
    { sectname: '__data', addr: 0x2000n, size: 0x40n, offset: 0x1000 },
    { sectname: '__bss', addr: 0x3000n, size: 0x800n, offset: 0, flags: S_ZEROFILL },
  ],
};

function parse(bytes: Uint8Array, name = 'synthetic'): ReturnType<typeof parseMachO> {
  return parseMachO(new BytesSource(name, bytes));
}

async function rejectsWith(bytes: Uint8Array, code: FormatError['code'], pattern: RegExp): Promise<void> {
  await assert.rejects(parse(bytes, 'bad.macho'), (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected a FormatError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, /^bad\.macho: /);
    assert.match(e.message, pattern);
    return true;
  });
}

function withTempFile<T>(bytes: Uint8Array, use: (path: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-macho-'));
  const path = join(dir, 'file');
  writeFileSync(path, bytes);
  return use(path).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const IDENTITY_CASES: [string, SynthMachO, Omit<BinaryIdentity, 'format' | 'os'>][] = [
  ['32-bit big-endian ppc executable', { is64: false, littleEndian: false, cputype: CPU.ppc, cpusubtype: 0, filetype: FILETYPE.execute }, { arch: 'ppc', bits: 32, endian: 'big', type: 'executable' }],
  ['64-bit big-endian ppc64 dylib', { is64: true, littleEndian: false, cputype: CPU.ppc64, cpusubtype: 0, filetype: FILETYPE.dylib }, { arch: 'ppc64', bits: 64, endian: 'big', type: 'shared-object' }],
  ['i386 object', { is64: false, littleEndian: true, cputype: CPU.i386, filetype: FILETYPE.object }, { arch: '386', bits: 32, endian: 'little', type: 'relocatable' }],
  ['armv7 core', { is64: false, littleEndian: true, cputype: CPU.arm, cpusubtype: 9, filetype: FILETYPE.core }, { arch: 'arm', bits: 32, endian: 'little', type: 'core' }],
  ['arm64 bundle', { is64: true, littleEndian: true, cputype: CPU.arm64, cpusubtype: 0, filetype: FILETYPE.bundle }, { arch: 'arm64', bits: 64, endian: 'little', type: 'shared-object' }],
  ['x86_64 executable with MH_PIE', { is64: true, littleEndian: true, cputype: CPU.x86_64, filetype: FILETYPE.execute, flags: MH_PIE | 0x85 }, { arch: 'amd64', bits: 64, endian: 'little', type: 'pie-executable' }],
  ['x86_64 executable without MH_PIE', { is64: true, littleEndian: true, cputype: CPU.x86_64, filetype: FILETYPE.execute, flags: 0x85 }, { arch: 'amd64', bits: 64, endian: 'little', type: 'executable' }],
];

for (const [what, spec, expected] of IDENTITY_CASES) {
  test(`identity of a synthetic ${what} matches its header and file(1)`, async () => {
    const bytes = buildMachO({ ...spec, segments: [TEXT] });
    assert.equal(isMachO(bytes.subarray(0, 8)), true);
    const m = await parse(bytes);
    assert.deepEqual(m.identity, { format: 'macho', os: 'darwin', ...expected });
    assert.equal(m.layout.littleEndian, spec.littleEndian);
    assert.equal(m.layout.pointerSize, spec.is64 ? 8 : 4);
    await withTempFile(bytes, async (path) => {
      const { format, arch, bits, endian, type } = m.identity;
      assert.deepEqual({ format, arch, bits, endian, type }, await fileMachOIdentity(path));
    });
  });
}

test('LC_BUILD_VERSION picks the OS: platform 2 is GOOS=ios, platform 1 darwin', async () => {
  const base: SynthMachO = { is64: true, littleEndian: true, cputype: CPU.arm64, cpusubtype: 0, filetype: FILETYPE.execute, segments: [TEXT] };
  assert.equal((await parse(buildMachO({ ...base, platform: 2 }))).identity.os, 'ios');
  assert.equal((await parse(buildMachO({ ...base, platform: 1 }))).identity.os, 'darwin');
});

for (const is64 of [true, false]) {
  for (const littleEndian of [true, false]) {
    test(`${is64 ? 64 : 32}-bit ${littleEndian ? 'little' : 'big'}-endian layout: sections, zero-fill, regions, dylibs, symbols (checked with Go's debug/macho)`, async () => {
      const spec: SynthMachO = {
        is64,
        littleEndian,
        cputype: is64 ? CPU.ppc64 : CPU.ppc,
        cpusubtype: 0,
        filetype: FILETYPE.execute,
        segments: [TEXT, DATA],
        dylibs: ['/usr/lib/libSystem.B.dylib', '/System/Library/Frameworks/Security.framework/Versions/A/Security'],
        symbols: [
          { name: 'main.main', type: N_SECT | N_EXT, sect: 1, value: 0x1800n },
          { name: 'main.helper', type: N_SECT | N_EXT, sect: 1, value: 0x1840n },
          { name: 'main.alias', type: N_SECT | N_EXT, sect: 1, value: 0x1840n },
          { name: 'runtime.buildVersion', type: N_SECT, sect: 2, value: 0x2010n },
          { name: '_c_function', type: N_SECT | N_EXT, sect: 1, value: 0x18f0n },
          { name: '_write', type: N_EXT, sect: 0, value: 0n },
          { name: 'debug.stab', type: 0x24, sect: 1, value: 0x1810n },
        ],
      };
      const bytes = buildMachO(spec);
      const m = await parse(bytes);
      assert.deepEqual(
        m.layout.sections.map((s) => [s.segment, s.name, s.vaddr, s.offset, s.fileSize, s.memSize, s.writable, s.executable]),
        [
          ['__TEXT', '__text', 0x1800n, 0x800, 0x100, 0x100n, false, true],
          ['__DATA', '__data', 0x2000n, 0x1000, 0x40, 0x40n, true, false],
          ['__DATA', '__bss', 0x3000n, 0, 0, 0x800n, true, false],
        ],
      );
      assert.deepEqual(
        m.layout.regions.map((r) => [r.name, r.vaddr, r.memSize, r.offset, r.fileSize, r.rawFlags, r.readable, r.writable, r.executable]),
        [
          ['__TEXT', 0x1000n, 0x1000n, 0, 0x1000, 0x505, true, false, true],
          ['__DATA', 0x2000n, 0x2000n, 0x1000, 0x1000, 0x303, true, true, false],
        ],
      );
      assert.deepEqual(mapAddress(m.layout, 0x1810n), { offset: 0x810, available: 0x7f0 });
      assert.equal(mapAddress(m.layout, 0x3000n), undefined, 'zero-fill has no file bytes');
      assert.deepEqual(m.loadDylibs, spec.dylibs);
      assert.equal(m.stripped, false);

      // Sizes run to the next higher address in the same section, else to the section's end.
      assert.deepEqual(await m.layout.findSymbol('main.main'), { name: 'main.main', value: 0x1800n, size: 0x40n });
      assert.deepEqual(await m.layout.findSymbol('main.helper'), { name: 'main.helper', value: 0x1840n, size: 0xb0n });
      assert.deepEqual(await m.layout.findSymbol('runtime.buildVersion'), { name: 'runtime.buildVersion', value: 0x2010n, size: 0x30n });
      assert.deepEqual(await m.layout.findSymbol('c_function'), { name: '_c_function', value: 0x18f0n, size: 0x10n });
      assert.equal(await m.layout.findSymbol('_write'), undefined, 'undefined symbols are not definitions');
      assert.equal(await m.layout.findSymbol('debug.stab'), undefined, 'stab entries are skipped');

      await withTempFile(bytes, async (path) => {
        const oracle = await goDebugOracle(path, ['main.main', 'main.helper', 'runtime.buildVersion', '_c_function']);
        assert.deepEqual(
          m.layout.sections.map((s) => [s.name, s.segment, String(s.vaddr), String(s.memSize), s.rawFlags]),
          (oracle.Sections ?? []).map((s) => [s.Name, s.Segment, s.Addr, s.Size, s.Flags]),
        );
        assert.deepEqual(m.loadDylibs, oracle.Libs);
        assert.equal(Object.keys(oracle.Symbols).length, 4);
        for (const [name, value] of Object.entries(oracle.Symbols)) assert.equal((await m.layout.findSymbol(name))?.value, BigInt(value));
      });
    });
  }
}

test('stripped: no LC_SYMTAB, an empty one, or LC_DYSYMTAB counting no defined symbols', async () => {
  const base: SynthMachO = { is64: true, littleEndian: true, cputype: CPU.x86_64, filetype: FILETYPE.execute, segments: [TEXT] };
  assert.equal((await parse(buildMachO(base))).stripped, true);
  assert.equal((await parse(buildMachO({ ...base, symbols: [] }))).stripped, true);
  const imports = [{ name: '_write', type: N_EXT, sect: 0, value: 0n }];
  assert.equal((await parse(buildMachO({ ...base, symbols: imports, dysymtab: { nlocalsym: 0, nextdefsym: 0 } }))).stripped, true);
  const defined = [...imports, { name: 'main.main', type: N_SECT | N_EXT, sect: 1, value: 0x1800n }];
  assert.equal((await parse(buildMachO({ ...base, symbols: defined, dysymtab: { nlocalsym: 0, nextdefsym: 1 } }))).stripped, false);
});

/** Bytes of a valid 64-bit little-endian file with one segment, and a DataView to corrupt them. */
function corruptible(spec: Partial<SynthMachO> = {}): { bytes: Uint8Array; view: DataView; cmds: number } {
  const bytes = buildMachO({ is64: true, littleEndian: true, cputype: CPU.x86_64, filetype: FILETYPE.execute, segments: [TEXT, DATA], ...spec });
  return { bytes, view: new DataView(bytes.buffer), cmds: loadCommandsOffset(true) };
}

test('malformed headers and load commands give FormatErrors naming the file', async () => {
  await rejectsWith(new Uint8Array([0xcf, 0xfa]), 'truncated', /too short/);
  await rejectsWith(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 0]), 'malformed', /not a Mach-O/);
  await rejectsWith(corruptible().bytes.subarray(0, 20), 'truncated', /Mach-O header/);

  let c = corruptible();
  c.view.setUint32(20, c.bytes.length, true); // sizeofcmds past the end of the file
  await rejectsWith(c.bytes, 'truncated', /load commands .* run past the end/);

  c = corruptible();
  c.view.setUint32(16, 0xffffffff, true); // ncmds far beyond what sizeofcmds holds
  await rejectsWith(c.bytes, 'malformed', /4294967295 load commands cannot fit/);

  c = corruptible();
  c.view.setUint32(c.cmds + 4, 4, true); // cmdsize < 8
  await rejectsWith(c.bytes, 'malformed', /load command 0 .* has size 4/);

  c = corruptible();
  c.view.setUint32(c.cmds + 4, 0x10000, true); // cmdsize past sizeofcmds
  await rejectsWith(c.bytes, 'malformed', /load command 0 .* has size 65536/);

  c = corruptible();
  c.view.setUint32(16, c.view.getUint32(16, true) + 1, true); // one command more than the bytes hold
  await rejectsWith(c.bytes, 'malformed', /load command 2 starts past the end/);

  c = corruptible();
  c.view.setUint32(c.cmds + 64, 1000, true); // nsects beyond the command's size
  await rejectsWith(c.bytes, 'malformed', /1000 sections do not fit/);

  c = corruptible();
  c.view.setBigUint64(c.cmds + 48, 0x7fffffffn, true); // segment filesize past the end of the file
  await rejectsWith(c.bytes, 'truncated', /segment __TEXT/);

  c = corruptible();
  c.view.setUint32(c.cmds + 72 + 48, 0x7fff0000, true); // section offset past the end of the file
  await rejectsWith(c.bytes, 'truncated', /section __TEXT,__text/);

  c = corruptible();
  c.view.setBigUint64(c.cmds + 40, 0xffffffffffffffffn, true); // 64-bit fileoff no number can hold
  await rejectsWith(c.bytes, 'malformed', /fileoff/);

  c = corruptible();
  c.view.setUint32(12, FILETYPE.dsym, true);
  await rejectsWith(c.bytes, 'unsupported', /file type 10/);
});

test('symbol and dylib commands are bounded by the file and by their own size', async () => {
  const symbols = [{ name: 'main.main', type: N_SECT | N_EXT, sect: 1, value: 0x1800n }];
  let c = corruptible({ symbols });
  let symtab = c.bytes.length; // find LC_SYMTAB by walking the commands the way the file lays them out
  for (let at = c.cmds; at < c.cmds + c.view.getUint32(20, true); at += c.view.getUint32(at + 4, true)) {
    if (c.view.getUint32(at, true) === LC.symtab) symtab = at;
  }
  c.view.setUint32(symtab + 12, 0x40000000, true); // nsyms: a billion entries
  await rejectsWith(c.bytes, 'truncated', /symbol table of 1073741824 entries cannot fit/);

  c = corruptible({ symbols });
  c.view.setUint32(symtab + 20, 0x7fffffff, true); // strsize past the end
  await rejectsWith(c.bytes, 'truncated', /string table/);

  c = corruptible({ symbols });
  const symoff = c.view.getUint32(symtab + 8, true);
  c.view.setUint32(symoff, 0x7fffffff, true); // n_strx beyond the string table: found on lookup, not at parse
  const m = await parse(c.bytes, 'bad.macho');
  await assert.rejects(m.layout.findSymbol('main.main'), (e: unknown) => e instanceof FormatError && /^bad\.macho: symbol 0 names string offset/.test(e.message));

  c = corruptible({ dylibs: ['/usr/lib/libSystem.B.dylib'] });
  let dylib = 0;
  for (let at = c.cmds; at < c.cmds + c.view.getUint32(20, true); at += c.view.getUint32(at + 4, true)) {
    if (c.view.getUint32(at, true) === LC.loadDylib) dylib = at;
  }
  c.view.setUint32(dylib + 8, 0x1000, true); // lc_str offset outside the command
  await rejectsWith(c.bytes, 'malformed', /dylib command 2 names its library at offset 4096/);
});

test('fat files: the architecture table is bounded and each slice must match its header', async () => {
  const thin = buildMachO({ is64: true, littleEndian: true, cputype: CPU.x86_64, filetype: FILETYPE.execute, segments: [TEXT] });
  const arm = buildMachO({ is64: true, littleEndian: true, cputype: CPU.arm64, cpusubtype: 0, filetype: FILETYPE.execute, segments: [TEXT] });
  const fat = buildFat(
    [
      { cputype: CPU.x86_64, cpusubtype: 3, bytes: thin },
      { cputype: CPU.arm64, cpusubtype: 0, bytes: arm },
    ],
    { alignLog2: 12 },
  );
  const m = await parse(fat);
  assert.deepEqual(m.slices?.map((s) => [s.arch, s.offset, s.size]), [
    ['amd64', 0x1000, thin.length],
    ['arm64', 0x1000 + thin.length, arm.length],
  ]);

  const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
  let bad = new Uint8Array(fat);
  view(bad).setUint32(4, 0);
  await rejectsWith(bad, 'malformed', /lists no architectures/);

  bad = new Uint8Array(fat);
  view(bad).setUint32(4, 0x34); // a Java class file's version word (major 52)
  await rejectsWith(bad, 'malformed', /Java class/);

  bad = new Uint8Array(fat);
  view(bad).setUint32(8 + 20 + 12, 0x7fffffff); // second slice's size past the end
  await rejectsWith(bad, 'truncated', /fat architecture 1/);

  bad = new Uint8Array(fat);
  view(bad).setUint32(8 + 8, 4); // first slice inside the fat header
  await rejectsWith(bad, 'malformed', /inside the fat header/);

  bad = new Uint8Array(fat);
  view(bad).setUint32(8, CPU.ppc); // table says ppc, header says x86_64
  await rejectsWith(bad, 'malformed', /claims cputype/);

  bad = new Uint8Array(fat);
  bad.set(fat.subarray(0, 8), 0x1000); // a fat file nested as the first slice

  await rejectsWith(bad, 'malformed', /not a thin Mach-O/);

  await rejectsWith(fat.subarray(0, 6), 'truncated', /fat header/);
});

test('a hostile symbol table (50,000 names into one run without NUL) is searched without decoding it', { timeout: 20_000 }, async () => {
  const count = 50_000;
  const symbols = Array.from({ length: count }, () => ({ name: '', type: N_SECT | N_EXT, sect: 1, value: 0x1800n }));
  const built = buildMachO({ is64: true, littleEndian: true, cputype: CPU.x86_64, filetype: FILETYPE.execute, segments: [TEXT], symbols });
  const run = 1 << 20;
  const bytes = new Uint8Array(built.length + run).fill(0x41);
  bytes.set(built);
  const view = new DataView(bytes.buffer);
  let symtab = 0;
  for (let at = 32; at < 32 + view.getUint32(20, true); at += view.getUint32(at + 4, true)) if (view.getUint32(at, true) === LC.symtab) symtab = at;
  const symoff = view.getUint32(symtab + 8, true);
  view.setUint32(symtab + 16, built.length, true); // stroff: the run of 'A'
  view.setUint32(symtab + 20, run, true);
  for (let i = 0; i < count; i++) view.setUint32(symoff + i * 16, 1 + i * 16, true); // every name a distinct, unterminated suffix
  const name = new TextEncoder().encode('main.main\0');
  bytes.set(name, bytes.length - name.length);
  view.setUint32(symoff + (count - 1) * 16, run - name.length, true); // the last entry: a real, terminated name
  view.setBigUint64(symoff + (count - 1) * 16 + 8, 0x1880n, true);
  const m = await parse(bytes);
  assert.equal(await m.layout.findSymbol('runtime.main'), undefined);
  assert.deepEqual(await m.layout.findSymbol('main.main'), { name: 'main.main', value: 0x1880n, size: 0x80n });
});
