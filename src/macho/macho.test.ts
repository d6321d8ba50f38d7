import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapAddress, findSection, type ExecutableLayout } from '../binary/layout.js';
import { BytesSource, withFile } from '../io/source.js';
import { fileMachOIdentity } from '../testing/file-oracle.js';
import { fixture } from '../testing/fixtures.js';
import { crossBuild } from '../testing/go-cross-build.js';
import { goDebugOracle, type OracleReport } from '../testing/go-debug-oracle.js';
import { buildFat, machHeaderCpu } from '../testing/macho-synthetic.js';
import { run } from '../testing/process.js';
import { parseMachO } from './index.js';

const GO_MACHO_FIXTURES = ['go-darwin-amd64', 'go-darwin-arm64', 'go-darwin-amd64-go119'];
const SYMBOLS = ['runtime.pclntab', 'runtime.epclntab', 'runtime.buildVersion', 'runtime.text', 'main.main', 'no.such.symbol'];
const BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

function assertLayoutMatchesOracle(layout: ExecutableLayout, oracle: OracleReport): void {
  const sections = oracle.Sections ?? [];
  assert.equal(layout.sections.length, sections.length);
  sections.forEach((o, i) => {
    const s = layout.sections[i];
    assert.ok(s);
    const zeroFill = [0x1, 0xc, 0x12].includes(o.Flags & 0xff);
    assert.deepEqual(
      { name: s.name, segment: s.segment, vaddr: s.vaddr, memSize: s.memSize, rawFlags: s.rawFlags, fileSize: s.fileSize },
      { name: o.Name, segment: o.Segment, vaddr: BigInt(o.Addr), memSize: BigInt(o.Size), rawFlags: o.Flags, fileSize: zeroFill ? 0 : Number(o.Size) },
    );
    if (!zeroFill) assert.equal(s.offset, o.Offset);
  });
  const segments = oracle.Segments ?? [];
  assert.equal(layout.regions.length, segments.length);
  segments.forEach((o, i) => {
    const r = layout.regions[i];
    assert.ok(r);
    assert.deepEqual(
      { name: r.name, vaddr: r.vaddr, memSize: r.memSize, offset: r.offset, fileSize: r.fileSize, rawFlags: r.rawFlags },
      { name: o.Name, vaddr: BigInt(o.Addr), memSize: BigInt(o.MemSize), offset: Number(o.Offset), fileSize: Number(o.Size), rawFlags: (o.Maxprot << 8) | o.Prot },
    );
    assert.deepEqual([r.readable, r.writable, r.executable], [(o.Prot & 1) !== 0, (o.Prot & 2) !== 0, (o.Prot & 4) !== 0]);
  });
}

/** Every section with file bytes maps back to its own offset, and __go_buildinfo holds the build-info magic there. */
async function assertAddressesMap(layout: ExecutableLayout): Promise<void> {
  for (const s of layout.sections) {
    if (s.fileSize === 0) continue;
    const where = mapAddress(layout, s.vaddr);
    assert.equal(where?.offset, s.offset, `mapAddress of ${s.segment},${s.name}`);
  }
  const buildinfo = findSection(layout, '__go_buildinfo');
  assert.ok(buildinfo, 'no __go_buildinfo section');
  const where = mapAddress(layout, buildinfo.vaddr);
  assert.ok(where);
  const bytes = await layout.source.read(where.offset, BUILDINFO_MAGIC.length);
  assert.deepEqual(Buffer.from(bytes), BUILDINFO_MAGIC);
}

async function assertSymbolsMatchOracle(layout: ExecutableLayout, oracle: OracleReport): Promise<void> {
  for (const name of SYMBOLS) {
    const ours = await layout.findSymbol(name);
    const theirs = oracle.Symbols[name];
    assert.equal(ours?.value, theirs === undefined ? undefined : BigInt(theirs), name);
  }
  const start = oracle.Symbols['runtime.pclntab'];
  const end = oracle.Symbols['runtime.epclntab'];
  assert.ok(start && end, 'oracle found runtime.pclntab and runtime.epclntab');
  assert.equal((await layout.findSymbol('runtime.pclntab'))?.size, BigInt(end) - BigInt(start));
}

for (const name of GO_MACHO_FIXTURES) {
  test(`${name}: identity agrees with file(1); layout, symbols and dylibs with Go's debug/macho`, async () => {
    const path = fixture(name);
    const oracle = await goDebugOracle(path, SYMBOLS);
    assert.equal(oracle.Kind, 'macho');
    await withFile(path, async (source) => {
      const m = await parseMachO(source);
      const { os, ...rest } = m.identity;
      assert.equal(os, 'darwin');
      assert.deepEqual(rest, await fileMachOIdentity(path));
      assert.equal(m.slices, undefined);
      assert.equal(m.layout.pointerSize, 8);
      assert.equal(m.layout.littleEndian, true);
      for (const required of ['__text', '__gopclntab', '__go_buildinfo', '__data', '__bss']) {
        assert.ok(findSection(m.layout, required), `${name} lacks ${required}`);
      }
      assertLayoutMatchesOracle(m.layout, oracle);
      await assertAddressesMap(m.layout);
      await assertSymbolsMatchOracle(m.layout, oracle);
      assert.deepEqual(m.loadDylibs, oracle.Libs ?? []);
      assert.ok(m.loadDylibs.includes('/usr/lib/libSystem.B.dylib'));
      assert.equal(m.stripped, false);
    });
  });
}

test('a darwin binary linked with -s is stripped: only the undefined symbols dyld binds remain', async () => {
  const path = await crossBuild({ program: 'static', goos: 'darwin', goarch: 'amd64', flags: ['-ldflags=-s'] });
  const oracle = await goDebugOracle(path, SYMBOLS);
  assert.ok(oracle.NSyms > 0, 'the oracle still sees a symbol table');
  assert.deepEqual(oracle.Symbols, {}, 'the oracle finds none of the defined symbols');
  await withFile(path, async (source) => {
    const m = await parseMachO(source);
    assert.equal(m.stripped, true);
    assert.equal(await m.layout.findSymbol('main.main'), undefined);
    assertLayoutMatchesOracle(m.layout, oracle);
  });
});

test('a fat file of two Go binaries: both slices listed, the first one read', async () => {
  const amd64 = new Uint8Array(readFileSync(fixture('go-darwin-amd64')));
  const arm64 = new Uint8Array(readFileSync(fixture('go-darwin-arm64')));
  const fat = buildFat([
    { ...machHeaderCpu(amd64), bytes: amd64 },
    { ...machHeaderCpu(arm64), bytes: arm64 },
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-fat-'));
  try {
    const path = join(dir, 'universal');
    writeFileSync(path, fat);
    const { stdout } = await run('file', ['-b', path]);
    assert.match(stdout, /^Mach-O universal binary with 2 architectures: \[x86_64:.*Mach-O 64-bit x86_64 executable.*\] \[.*arm64:.*Mach-O 64-bit arm64 executable/s);
    const oracle = await goDebugOracle(path, SYMBOLS);
    assert.equal(oracle.Kind, 'fat');

    const thinAmd64 = await parseMachO(new BytesSource('amd64', amd64));
    const thinArm64 = await parseMachO(new BytesSource('arm64', arm64));
    await withFile(path, async (source) => {
      const m = await parseMachO(source);
      assert.deepEqual(m.identity, thinAmd64.identity);
      assert.deepEqual(
        m.slices?.map((s) => [s.arch, s.identity, s.size]),
        [
          ['amd64', thinAmd64.identity, amd64.length],
          ['arm64', thinArm64.identity, arm64.length],
        ],
      );
      assert.deepEqual(oracle.Arches, [thinAmd64.header.cputype, thinArm64.header.cputype]);
      assert.equal(m.layout.source.size, amd64.length);
      assertLayoutMatchesOracle(m.layout, oracle);
      await assertAddressesMap(m.layout);
      await assertSymbolsMatchOracle(m.layout, oracle);
      assert.deepEqual(m.loadDylibs, thinAmd64.loadDylibs);
    });

    // The 64-bit fat header (FAT_MAGIC_64) wraps the same slices; neither file(1) nor Go reads it, so compare with the 32-bit form.
    const fat64 = buildFat(
      [
        { ...machHeaderCpu(arm64), bytes: arm64 },
        { ...machHeaderCpu(amd64), bytes: amd64 },
      ],
      { fat64: true },
    );
    const m64 = await parseMachO(new BytesSource('fat64', fat64));
    assert.deepEqual(m64.identity, thinArm64.identity);
    assert.deepEqual(m64.slices?.map((s) => s.arch), ['arm64', 'amd64']);
    assert.deepEqual(m64.layout.sections, thinArm64.layout.sections);
    await assertAddressesMap(m64.layout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
