import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readGoInfo } from './goinfo.js';
import { findPclntab } from './pclntab.js';
import { concat, frameModinfo, goStringHeader, inlineBlob, pclntabHeader, utf8 } from '../testing/go-synthetic.js';
import { syntheticFile, type SyntheticArea, type SyntheticOptions } from '../testing/synthetic-layout.js';

const CODE: SyntheticArea = { name: '.text', vaddr: 0x401000n, bytes: new Uint8Array(64).fill(0xcc), executable: true };
const MAGICS = [
  [0xfffffffb, 'go1.2-1.15'],
  [0xfffffffa, 'go1.16-1.17'],
  [0xfffffff0, 'go1.18-1.19'],
  [0xfffffff1, 'go1.20+'],
] as const;

function rodata(...strings: string[]): SyntheticArea {
  return { name: '.rodata', vaddr: 0x480000n, bytes: concat(new Uint8Array(8), ...strings.map(utf8), new Uint8Array(8)) };
}
function gopclntab(magic: number, options: { ptrSize?: 4 | 8; bigEndian?: boolean } = {}): SyntheticArea {
  return { name: '.gopclntab', vaddr: 0x490000n, bytes: pclntabHeader(magic, options.ptrSize ?? 8, options.bigEndian ?? false) };
}

test('build info wins: version, path, modules and settings from it', async () => {
  const modinfo = 'path\texample.com/x\nmod\texample.com/x\t(devel)\t\ndep\tgolang.org/x/sys\tv0.1.0\th1:abc=\nbuild\t-ldflags="-s -w"\n';
  const file = syntheticFile([
    CODE,
    rodata('go1.19.1'),
    gopclntab(0xfffffff1),
    { name: '.go.buildinfo', vaddr: 0x500000n, bytes: inlineBlob(utf8('go1.23.5'), frameModinfo(modinfo)), writable: true },
  ]);
  assert.deepEqual(await readGoInfo(file.layout()), {
    version: 'go1.23.5',
    versionSource: 'buildinfo',
    path: 'example.com/x',
    main: { path: 'example.com/x', version: '(devel)', sum: '' },
    deps: [{ path: 'golang.org/x/sys', version: 'v0.1.0', sum: 'h1:abc=' }],
    settings: [{ key: '-ldflags', value: '"-s -w"' }],
    modinfo,
    cgo: null,
    packages: null,
  });
});

test('without build info, runtime.buildVersion gives the version ("symbol")', async () => {
  for (const [ptrSize, bigEndian] of [[8, false], [4, true]] as const) {
    const stringVa = 0x480000n + 8n;
    const options: SyntheticOptions = { pointerSize: ptrSize, littleEndian: !bigEndian, symbols: { 'runtime.buildVersion': 0x500010n } };
    const data = concat(new Uint8Array(16), goStringHeader(stringVa, 'go1.21.13'.length, ptrSize, bigEndian));
    const file = syntheticFile(
      [CODE, rodata('go1.21.13', 'go1.22.0 is not it'), gopclntab(0xfffffff1, { ptrSize, bigEndian }), { name: '.data', vaddr: 0x500000n, bytes: data, writable: true }],
      options,
    );
    const info = await readGoInfo(file.layout());
    assert.equal(info?.version, 'go1.21.13');
    assert.equal(info?.versionSource, 'symbol');
    assert.equal(info?.path, '');
    assert.equal(info?.main, null);
    assert.deepEqual(info?.deps, []);
  }
});

test('a symbol whose string does not map falls back to read-only data', async () => {
  const data = goStringHeader(0x10n, 8, 8, false);
  const file = syntheticFile([CODE, rodata('\0go1.22.7\0'), gopclntab(0xfffffff1), { name: '.data', vaddr: 0x500000n, bytes: data, writable: true }], {
    symbols: { 'runtime.buildVersion': 0x500000n },
  });
  assert.deepEqual(
    await readGoInfo(file.layout()).then((i) => [i?.version, i?.versionSource]),
    ['go1.22.7', 'rodata'],
  );
});

test('rodata: the release string is preferred over language versions in messages, within the pclntab range', async () => {
  const cases: [number, string[], string][] = [
    [0xfffffff1, ['requires go1.22 or later', 'GoStringgo1.23.5GOMIPS64', 'go1.21module', '"go1.12" from'], 'go1.23.5'],
    [0xfffffff1, ['format go1.23.0 or default', '\0go1.23.4\0'], 'go1.23.4'],
    [0xfffffff0, ['go1.21.0 ', 'xxgo1.19.8yy', 'go1.18'], 'go1.19.8'],
    [0xfffffff1, ['go1.21rc2\0', 'go1.9alpha'], 'go1.21rc2'],
    [0xfffffff1, ['go1.20'], 'go1.20'],
  ];
  for (const [magic, strings, expected] of cases) {
    const file = syntheticFile([CODE, rodata(...strings), gopclntab(magic)]);
    const info = await readGoInfo(file.layout());
    assert.deepEqual([info?.version, info?.versionSource], [expected, 'rodata'], strings.join(' | '));
  }
});

test('with no version string at all, the pclntab magic gives the range', async () => {
  for (const [magic, range] of MAGICS) {
    for (const [ptrSize, bigEndian] of [[8, false], [4, true]] as const) {
      const file = syntheticFile([CODE, rodata('cargo1.x', 'no versions here', 'go1.'), gopclntab(magic, { ptrSize, bigEndian })], {
        pointerSize: ptrSize,
        littleEndian: !bigEndian,
      });
      const info = await readGoInfo(file.layout());
      assert.deepEqual([info?.version, info?.versionSource], [range, 'pclntab'], `${magic.toString(16)} ptr ${ptrSize}`);
    }
  }
});

test('external-link PIE: the pclntab is found by scanning relro data, after rejecting look-alikes', async () => {
  for (const bigEndian of [false, true]) {
    const lookAlike = pclntabHeader(0xfffffff1, 8, bigEndian);
    lookAlike[6] = 3; // quantum 3: invalid
    const noFuncs = pclntabHeader(0xfffffff1, 8, bigEndian);
    noFuncs.fill(0, 8, 16); // nfunc 0: invalid
    const almost = new Uint8Array([0xf2, 0xff, 0xff, 0xff, 0, 0, 1, 8, 0xff, 0xff, 0xff, 0, 0]); // unknown magic, then a tail of one
    const real = pclntabHeader(0xfffffff1, 8, bigEndian);
    const relro = concat(new Uint8Array(40), lookAlike, noFuncs, almost, new Uint8Array(3), real);
    // Like a real external-link PIE: no .gopclntab, but the Go build-id note is there.
    const note = { name: '.note.go.buildid', vaddr: 0x400f00n, bytes: new Uint8Array(16) };
    const file = syntheticFile([CODE, note, rodata('nothing'), { name: '.data.rel.ro', vaddr: 0x500000n, bytes: relro, writable: true }], {
      littleEndian: !bigEndian,
    });
    const found = await findPclntab(file.layout());
    const expectedOffset = (file.offsets.get('.data.rel.ro') ?? 0) + 40 + lookAlike.length + noFuncs.length + almost.length + 3;
    assert.equal(found?.offset, expectedOffset, `big endian ${bigEndian}`);
    assert.equal(found?.goRange, 'go1.20+');
    assert.equal(found?.ptrSize, 8);
    assert.equal((await readGoInfo(file.layout()))?.version, 'go1.20+');
  }
});

test('PE: the runtime.pclntab symbol locates the table in .rdata', async () => {
  const rdata = concat(new Uint8Array(32), pclntabHeader(0xfffffff0, 4, false));
  const file = syntheticFile(
    [{ ...CODE, rawFlags: 0x60000020 }, { name: '.rdata', vaddr: 0x402000n, bytes: rdata, rawFlags: 0x40000040 }],
    { format: 'pe', pointerSize: 4, symbols: { 'runtime.pclntab': 0x402020n } },
  );
  const found = await findPclntab(file.layout());
  assert.equal(found?.offset, (file.offsets.get('.rdata') ?? 0) + 32);
  assert.equal(found?.goRange, 'go1.18-1.19');
});

test('headers that break the rules are not a pclntab, so the binary is not Go', async () => {
  const broken: [string, (b: Uint8Array) => void][] = [
    ['pad byte set', (b) => (b[4] = 1)],
    ['quantum 3', (b) => (b[6] = 3)],
    ['pointer size 4 in a 64-bit file', (b) => (b[7] = 4)],
    ['unknown magic', (b) => (b[0] = 0xf2)],
    ['offsets out of order', (b) => new DataView(b.buffer, b.byteOffset).setBigUint64(8 + 4 * 8, 1n, true)],
    ['offset past the end', (b) => new DataView(b.buffer, b.byteOffset).setBigUint64(8 + 7 * 8, 1n << 40n, true)],
  ];
  for (const [what, breakIt] of broken) {
    const table = pclntabHeader(0xfffffff1, 8, false);
    breakIt(table);
    const file = syntheticFile([CODE, rodata('go1.23.5'), { name: '.gopclntab', vaddr: 0x490000n, bytes: table }]);
    assert.equal(await findPclntab(file.layout()), undefined, what);
    assert.equal(await readGoInfo(file.layout()), null, what);
  }
});

test('a C binary (no build info, no pclntab) is not Go, even with "go1.x" text in it', async () => {
  const file = syntheticFile([CODE, rodata('built with go1.21.0 in mind'), { name: '.data', vaddr: 0x500000n, bytes: new Uint8Array(64), writable: true }]);
  assert.equal(await readGoInfo(file.layout()), null);
});

test('Mach-O __gopclntab is recognised', async () => {
  const file = syntheticFile([{ ...CODE, name: '__text' }, { name: '__gopclntab', segment: '__TEXT', vaddr: 0x100100000n, bytes: pclntabHeader(0xfffffff1, 8, false) }], {
    format: 'macho',
  });
  assert.equal((await readGoInfo(file.layout()))?.versionSource, 'pclntab');
});
