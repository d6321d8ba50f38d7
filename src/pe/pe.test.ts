import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapAddress, findSection, type ExecutableLayout } from '../binary/layout.js';
import { withFile } from '../io/source.js';
import { filePeIdentity } from '../testing/file-oracle.js';
import { fixture, fixtureRecord } from '../testing/fixtures.js';
import { crossBuild } from '../testing/go-cross-build.js';
import { goDebugOracle, type OracleReport } from '../testing/go-debug-oracle.js';
import { isPe, parsePe } from './index.js';

const GO_PE_FIXTURES = ['go-windows-amd64', 'go-windows-386', 'go-windows-amd64-go119'];
const SYMBOLS = ['runtime.pclntab', 'runtime.epclntab', 'runtime.buildVersion', 'runtime.text', 'main.main', 'no.such.symbol'];
const BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
/** pclntab header magic by Go version (shared/reference/go-binaries.md §2), little-endian bytes. */
const PCLNTAB_MAGIC = { 'go1.23': [0xf1, 0xff, 0xff, 0xff, 0, 0], 'go1.19': [0xf0, 0xff, 0xff, 0xff, 0, 0] } as const;

function assertLayoutMatchesOracle(layout: ExecutableLayout, oracle: OracleReport): void {
  const sections = oracle.Sections ?? [];
  assert.equal(layout.sections.length, sections.length);
  sections.forEach((o, i) => {
    const s = layout.sections[i];
    const r = layout.regions[i];
    assert.ok(s && r);
    const virtualSize = Number(o.Size);
    const fileSize = o.Offset === 0 ? 0 : virtualSize > 0 ? Math.min(o.RawSize, virtualSize) : o.RawSize;
    assert.deepEqual(
      { name: s.name, vaddr: s.vaddr, offset: s.offset, fileSize: s.fileSize, memSize: s.memSize, rawFlags: s.rawFlags },
      { name: o.Name, vaddr: BigInt(o.Addr), offset: o.Offset, fileSize, memSize: BigInt(virtualSize || o.RawSize), rawFlags: o.Flags },
    );
    assert.deepEqual(
      [s.writable, s.executable, r.readable],
      [(o.Flags & 0x80000000) !== 0, (o.Flags & 0x20000000) !== 0, (o.Flags & 0x40000000) !== 0],
    );
    assert.deepEqual([r.name, r.vaddr, r.offset, r.fileSize, r.memSize, r.rawFlags], [s.name, s.vaddr, s.offset, s.fileSize, s.memSize, s.rawFlags]);
  });
}

for (const name of GO_PE_FIXTURES) {
  test(`${name}: identity agrees with file(1); sections, symbols and imports with Go's debug/pe`, async () => {
    const path = fixture(name);
    const oracle = await goDebugOracle(path, SYMBOLS);
    assert.equal(oracle.Kind, 'pe');
    await withFile(path, async (source) => {
      const head = await source.read(0, 512);
      assert.equal(isPe(head), true);
      const pe = await parsePe(source);
      assert.deepEqual(pe.identity, await filePeIdentity(path));
      assert.equal(pe.header.imageBase, BigInt(oracle.Base));
      assert.equal(pe.layout.pointerSize, pe.identity.bits === 64 ? 8 : 4);
      for (const required of ['.text', '.rdata', '.data', '.idata']) assert.ok(findSection(pe.layout, required), `${name} lacks ${required}`);
      assertLayoutMatchesOracle(pe.layout, oracle);

      for (const s of pe.layout.sections) {
        if (s.fileSize > 0) assert.equal(mapAddress(pe.layout, s.vaddr)?.offset, s.offset, `mapAddress of ${s.name}`);
      }
      // Go's build info sits in the first writable initialized-data section (debug/buildinfo's rule).
      const data = pe.layout.sections.find((s) => (s.rawFlags & ~0x600000) >>> 0 === 0xc0000040);
      assert.ok(data);
      assert.deepEqual(Buffer.from(await source.read(data.offset, BUILDINFO_MAGIC.length)), BUILDINFO_MAGIC);

      for (const symbol of SYMBOLS) {
        const theirs = oracle.Symbols[symbol];
        assert.equal((await pe.layout.findSymbol(symbol))?.value, theirs === undefined ? undefined : BigInt(theirs), symbol);
      }
      const start = BigInt(oracle.Symbols['runtime.pclntab'] ?? 0);
      const end = BigInt(oracle.Symbols['runtime.epclntab'] ?? 0);
      assert.ok(start > 0n && end > start);
      const pclntab = await pe.layout.findSymbol('runtime.pclntab');
      assert.equal(pclntab?.size, end - start);
      const where = mapAddress(pe.layout, start);
      assert.ok(where);
      const toolchain = fixtureRecord(name).toolchain === 'go1.19' ? 'go1.19' : 'go1.23';
      assert.deepEqual([...(await source.read(where.offset, 6))], PCLNTAB_MAGIC[toolchain]);

      assert.deepEqual(pe.imports, oracle.Imports);
      assert.equal(pe.stripped, false);
    });
  });
}

test('a windows binary linked with -s is stripped and has no symbols to find', async () => {
  const path = await crossBuild({ program: 'static', goos: 'windows', goarch: 'amd64', flags: ['-ldflags=-s'] });
  const oracle = await goDebugOracle(path, SYMBOLS);
  assert.equal(oracle.NSyms, 0);
  await withFile(path, async (source) => {
    const pe = await parsePe(source);
    assert.equal(pe.stripped, true);
    assert.equal(pe.header.numberOfSymbols, 0);
    assert.equal(await pe.layout.findSymbol('runtime.pclntab'), undefined);
    assertLayoutMatchesOracle(pe.layout, oracle);
    assert.deepEqual(pe.identity, await filePeIdentity(path));
  });
});
