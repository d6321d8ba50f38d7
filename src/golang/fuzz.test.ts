import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../errors.js';
import { readBuildInfo } from './buildinfo.js';
import { readGoInfo } from './goinfo.js';
import { concat, frameModinfo, goStringHeader, inlineBlob, pclntabHeader, pointerBlob, utf8 } from '../testing/go-synthetic.js';
import { mutate, Rng } from '../testing/mutate.js';
import { syntheticFile, type SyntheticFile } from '../testing/synthetic-layout.js';

/**
 * Corrupted Go structures must end in a result or an InputError/FormatError,
 * never another exception or a hang. The layout description stays intact;
 * only the bytes it points at are broken (and sometimes cut short).
 */

const MODINFO = 'path\tx\nmod\tx\t(devel)\t\ndep\ty\tv1.0.0\th1:y=\n=>\t../y\t\t\nbuild\t-ldflags="-s -w"\nbuild\tGOOS=linux\n';
const CODE = { name: '.text', vaddr: 0x401000n, bytes: new Uint8Array(32), executable: true };

const seeds: [string, SyntheticFile][] = [
  ['inline', syntheticFile([CODE, { name: '.go.buildinfo', vaddr: 0x500000n, bytes: inlineBlob(utf8('go1.23.5'), frameModinfo(MODINFO)), writable: true }])],
  [
    'pointer 32-bit big-endian',
    syntheticFile([CODE, { name: '.go.buildinfo', vaddr: 0x600000n, bytes: pointerBlob(0x600000n, utf8('go1.16'), frameModinfo(MODINFO), 4, true), writable: true }], {
      pointerSize: 4,
      littleEndian: false,
    }),
  ],
  [
    'no build info: symbol, rodata, pclntab',
    syntheticFile(
      [
        CODE,
        { name: '.rodata', vaddr: 0x480000n, bytes: concat(utf8('\0go1.21.3\0requires go1.22 or later')) },
        { name: '.gopclntab', vaddr: 0x490000n, bytes: pclntabHeader(0xfffffff1, 8, false) },
        { name: '.data.rel.ro', vaddr: 0x4a0000n, bytes: concat(new Uint8Array(8), pclntabHeader(0xfffffff0, 8, false)), writable: true },
        { name: '.data', vaddr: 0x500000n, bytes: goStringHeader(0x480001n, 8, 8, false), writable: true },
      ],
      { symbols: { 'runtime.buildVersion': 0x500000n } },
    ),
  ],
];

const ROUNDS = 300;

for (const [name, file] of seeds) {
  test(`fuzz: corrupted ${name} gives a result or an InputError`, async () => {
    const hot: [number, number][] = [...file.offsets.values()].map((o) => [o, o + 80]);
    const rng = new Rng(0x5eed + name.length);
    for (let round = 0; round < ROUNDS; round++) {
      const bytes = mutate(file.bytes, rng, hot);
      const layout = file.layout(bytes);
      for (const read of [readBuildInfo, readGoInfo]) {
        try {
          await read(layout);
        } catch (e) {
          assert.ok(e instanceof InputError, `round ${round} (${name}) threw ${String(e)}`);
        }
      }
    }
  });
}
