import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readBuildInfo } from './buildinfo.js';
import { concat, frameModinfo, goStringHeader, inlineBlob, pointerBlob, utf8, uvarint, BUILDINFO_MAGIC } from '../testing/go-synthetic.js';
import { syntheticFile, type SyntheticArea } from '../testing/synthetic-layout.js';

const MODINFO = 'path\texample.com/hello\nmod\texample.com/hello\t(devel)\t\nbuild\t-compiler=gc\nbuild\tGOOS=linux\n';
const CODE: SyntheticArea = { name: '.text', vaddr: 0x401000n, bytes: new Uint8Array(64).fill(0x90), executable: true };

function elfWithSection(blob: Uint8Array, options: { littleEndian?: boolean; pointerSize?: 4 | 8 } = {}) {
  return syntheticFile(
    [CODE, { name: '.go.buildinfo', vaddr: 0x500000n, bytes: blob, writable: true }, { name: '.data', vaddr: 0x500400n, bytes: new Uint8Array(32), writable: true }],
    options,
  );
}

test('inline format (Go 1.18+) in .go.buildinfo gives the version and the unframed modinfo', async () => {
  const info = await readBuildInfo(elfWithSection(inlineBlob(utf8('go1.23.5'), frameModinfo(MODINFO))).layout());
  assert.deepEqual(info, { version: 'go1.23.5', modinfo: MODINFO });
});

test('inline format is read the same for 32-bit and big-endian headers (the strings are not words)', async () => {
  for (const [ptrSize, bigEndian] of [[4, false], [4, true], [8, true]] as const) {
    const file = elfWithSection(inlineBlob(utf8('go1.21.0'), frameModinfo(MODINFO), ptrSize, bigEndian), { pointerSize: ptrSize, littleEndian: !bigEndian });
    assert.deepEqual(await readBuildInfo(file.layout()), { version: 'go1.21.0', modinfo: MODINFO }, `ptr ${ptrSize} big ${bigEndian}`);
  }
});

test('pointer format (before 1.18): 32/64-bit, little/big endian, strings through mapped addresses', async () => {
  for (const [ptrSize, bigEndian] of [[4, false], [4, true], [8, false], [8, true]] as const) {
    const base = 0x600000n;
    const blob = pointerBlob(base, utf8('go1.16.15'), frameModinfo(MODINFO), ptrSize, bigEndian);
    const file = syntheticFile([CODE, { name: '.go.buildinfo', vaddr: base, bytes: blob, writable: true }], {
      pointerSize: ptrSize,
      littleEndian: !bigEndian,
    });
    assert.deepEqual(await readBuildInfo(file.layout()), { version: 'go1.16.15', modinfo: MODINFO }, `ptr ${ptrSize} big ${bigEndian}`);
  }
});

test('pointer format with strings in another region is followed through the layout', async () => {
  const strings = concat(utf8('go1.13'), frameModinfo(MODINFO));
  const stringsVa = 0x700000n;
  const headersVa = 0x600040n;
  const blob = new Uint8Array(96);
  blob.set(BUILDINFO_MAGIC, 0);
  blob[14] = 8;
  blob[15] = 0;
  const view = new DataView(blob.buffer);
  view.setBigUint64(16, headersVa, true);
  view.setBigUint64(24, headersVa + 16n, true);
  blob.set(goStringHeader(stringsVa, 6, 8, false), 0x40);
  blob.set(goStringHeader(stringsVa + 6n, strings.length - 6, 8, false), 0x50);
  const file = syntheticFile([
    CODE,
    { name: 'PT_LOAD#1', vaddr: stringsVa, bytes: strings, as: 'region' },
    { name: 'PT_LOAD#2', vaddr: 0x600000n, bytes: blob, writable: true, as: 'region' },
  ]);
  assert.deepEqual(await readBuildInfo(file.layout()), { version: 'go1.13', modinfo: MODINFO });
});

test('without sections, the first writable non-executable region is searched, skipping misaligned magic', async () => {
  const decoy = concat(new Uint8Array(3), BUILDINFO_MAGIC, new Uint8Array(32 - 3 - 14 + 16)); // magic at offset 3: not 16-aligned
  const blob = inlineBlob(utf8('go1.22.1'), frameModinfo(MODINFO));
  const data = concat(decoy, blob);
  const file = syntheticFile(
    [
      { ...CODE, as: 'region' },
      { name: 'PT_LOAD#1', vaddr: 0x500000n, bytes: new Uint8Array(64), as: 'region' }, // read-only: not searched
      { name: 'PT_LOAD#2', vaddr: 0x600000n, bytes: data, writable: true, memSize: 0x100000n, as: 'region' },
    ],
  );
  assert.deepEqual(await readBuildInfo(file.layout()), { version: 'go1.22.1', modinfo: MODINFO });
});

test('a blob past the first 1 MiB search chunk is still found, chunk by chunk', async () => {
  const data = new Uint8Array((1 << 20) + 4096);
  const blob = inlineBlob(utf8('go1.20.3'), frameModinfo(MODINFO));
  data.set(blob, (1 << 20) + 16);
  const file = syntheticFile([CODE, { name: 'PT_LOAD#1', vaddr: 0x600000n, bytes: data, writable: true, as: 'region' }]);
  assert.deepEqual(await readBuildInfo(file.layout()), { version: 'go1.20.3', modinfo: MODINFO });
});

test('modinfo without its sentinel frame reads as empty, as Go does', async () => {
  const cases: [string, Uint8Array][] = [
    ['no frame', utf8(MODINFO)],
    ['too short', utf8('x'.repeat(32))],
    ['no newline before the end sentinel', concat(new Uint8Array(16), utf8('path\tx'), new Uint8Array(16))],
    ['empty', new Uint8Array(0)],
  ];
  for (const [what, modinfo] of cases) {
    const info = await readBuildInfo(elfWithSection(inlineBlob(utf8('go1.23.5'), modinfo)).layout());
    assert.deepEqual(info, { version: 'go1.23.5', modinfo: '' }, what);
  }
});

test('blobs Go rejects are "not Go" (undefined), not errors', async () => {
  const header = inlineBlob(new Uint8Array(0), new Uint8Array(0)).subarray(0, 32);
  const cases: [string, Uint8Array][] = [
    ['empty version', inlineBlob(new Uint8Array(0), frameModinfo(MODINFO))],
    ['truncated varint', concat(header, new Uint8Array([0x80, 0x80, 0x80]))],
    ['varint longer than 10 bytes', concat(header, new Uint8Array(11).fill(0x80), new Uint8Array([1]))],
    ['varint overflowing 64 bits', concat(header, new Uint8Array(9).fill(0xff), new Uint8Array([0x02]))],
    ['huge version length', concat(header, uvarint(1n << 40n), utf8('go1.23'))],
    ['length one past the data', concat(header, uvarint(7), utf8('go1.23'))],
    ['huge modinfo length', concat(header, uvarint(6), utf8('go1.23'), uvarint(0xffffffffffffn))],
    ['magic too close to the end', BUILDINFO_MAGIC],
    ['no magic', new Uint8Array(64)],
  ];
  for (const [what, blob] of cases) {
    assert.equal(await readBuildInfo(elfWithSection(blob).layout()), undefined, what);
  }
});

test('pointer format with unmapped or bad pointers is "not Go", and a bad pointer size too', async () => {
  const base = 0x600000n;
  const good = pointerBlob(base, utf8('go1.17'), frameModinfo(MODINFO), 8, false);
  const unmapped = new Uint8Array(good);
  new DataView(unmapped.buffer).setBigUint64(16, 0xdead0000n, true);
  const hugeLength = new Uint8Array(good);
  new DataView(hugeLength.buffer).setBigUint64(32 + 8, 0xffffffffffffffffn, true); // version length
  const dataUnmapped = new Uint8Array(good);
  new DataView(dataUnmapped.buffer).setBigUint64(32, 0x10n, true); // version data pointer
  const badPtrSize = new Uint8Array(good);
  badPtrSize[14] = 6;
  for (const [what, blob] of [
    ['unmapped header pointer', unmapped],
    ['huge length', hugeLength],
    ['unmapped data pointer', dataUnmapped],
    ['pointer size 6', badPtrSize],
  ] as const) {
    const file = syntheticFile([CODE, { name: '.go.buildinfo', vaddr: base, bytes: blob, writable: true }]);
    assert.equal(await readBuildInfo(file.layout()), undefined, what);
  }
  // A modinfo pointer alone going nowhere leaves the version: Go reads each string separately.
  const modUnmapped = new Uint8Array(good);
  new DataView(modUnmapped.buffer).setBigUint64(24, 0xdead0000n, true);
  const file = syntheticFile([CODE, { name: '.go.buildinfo', vaddr: base, bytes: modUnmapped, writable: true }]);
  assert.deepEqual(await readBuildInfo(file.layout()), { version: 'go1.17', modinfo: '' });
});

test('a data area far larger than the file (hostile memSize) ends quickly', async () => {
  const file = syntheticFile([CODE, { name: 'PT_LOAD#1', vaddr: 0x600000n, bytes: new Uint8Array(256), writable: true, memSize: 1n << 60n, as: 'region' }]);
  const started = Date.now();
  assert.equal(await readBuildInfo(file.layout()), undefined);
  assert.ok(Date.now() - started < 2000);
});

test('Mach-O: __go_buildinfo, else the first segment with prot and maxprot both rw (not __PAGEZERO)', async () => {
  const blob = inlineBlob(utf8('go1.23.5'), frameModinfo(MODINFO));
  const withSection = syntheticFile([CODE, { name: '__go_buildinfo', segment: '__DATA', vaddr: 0x100000000n, bytes: blob, writable: true, as: 'section' }], {
    format: 'macho',
  });
  assert.deepEqual(await readBuildInfo(withSection.layout()), { version: 'go1.23.5', modinfo: MODINFO });

  const decoy = inlineBlob(utf8('go1.0.0-wrong'), frameModinfo(MODINFO));
  const segments = syntheticFile(
    [
      { name: '__PAGEZERO', vaddr: 0n, bytes: decoy, rawFlags: 0x0303, as: 'region' },
      { name: '__TEXT', vaddr: 0x100000000n, bytes: new Uint8Array(64), rawFlags: 0x0705, executable: true, as: 'region' },
      { name: '__DATA_CONST', vaddr: 0x100010000n, bytes: decoy, rawFlags: 0x0703, writable: true, as: 'region' }, // maxprot rwx: skipped
      { name: '__DATA', vaddr: 0x100020000n, bytes: blob, rawFlags: 0x0303, writable: true, as: 'region' },
    ],
    { format: 'macho' },
  );
  assert.deepEqual(await readBuildInfo(segments.layout()), { version: 'go1.23.5', modinfo: MODINFO });
});

test('PE: the first initialized read/write data section, alignment bits ignored', async () => {
  const blob = inlineBlob(utf8('go1.23.5'), frameModinfo(MODINFO));
  const decoy = inlineBlob(utf8('go1.0.0-wrong'), frameModinfo(MODINFO));
  const file = syntheticFile(
    [
      { name: '.text', vaddr: 0x401000n, bytes: new Uint8Array(64), rawFlags: 0x60000020, executable: true },
      { name: '.rdata', vaddr: 0x402000n, bytes: decoy, rawFlags: 0x40000040 },
      { name: '.rwx', vaddr: 0x403000n, bytes: decoy, rawFlags: 0xe0000040, writable: true, executable: true },
      { name: '.data', vaddr: 0x404000n, bytes: blob, rawFlags: 0xc0600040, writable: true },
    ],
    { format: 'pe' },
  );
  assert.deepEqual(await readBuildInfo(file.layout()), { version: 'go1.23.5', modinfo: MODINFO });
});
