import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileVerdict } from '../testing/file-oracle.js';
import { fixture } from '../testing/fixtures.js';
import { buildFat, buildMachO, CPU, FILETYPE, machHeaderCpu } from '../testing/macho-synthetic.js';
import { buildPe, MACHINE, SCN } from '../testing/pe-synthetic.js';
import { detectFormat } from './detect.js';

/** What file(1) says about the same bytes, as one of our format names. */
function formatFromFile(verdict: string): string {
  if (verdict.startsWith('ELF ')) return 'elf';
  if (verdict.startsWith('Mach-O ')) return 'macho';
  if (verdict.startsWith('PE32')) return 'pe';
  return 'unknown';
}

async function fileFormat(bytes: Uint8Array): Promise<{ verdict: string; format: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-detect-'));
  try {
    const path = join(dir, 'sample');
    writeFileSync(path, bytes);
    const verdict = await fileVerdict(path);
    return { verdict, format: formatFromFile(verdict) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function u32be(...words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(out.buffer).setUint32(i * 4, w, false));
  return out;
}

const head = (bytes: Uint8Array, n = 64): Uint8Array => bytes.subarray(0, Math.min(n, bytes.length));

test('real Go binaries: ELF, Mach-O and PE, each as file(1) names it, from the first 64 bytes', async () => {
  for (const name of ['go-static', 'go-static-s390x', 'go-darwin-amd64', 'go-darwin-arm64', 'go-windows-amd64', 'go-windows-386']) {
    const bytes = new Uint8Array(readFileSync(fixture(name)));
    const { verdict, format } = await fileFormat(bytes);
    assert.notEqual(format, 'unknown', `${name}: ${verdict}`);
    assert.equal(detectFormat(head(bytes)), format, `${name}: ${verdict}`);
    assert.equal(detectFormat(head(bytes, 4096)), format, `${name} with a longer head`);
  }
});

test('fat Mach-O: a universal binary by file(1), and its 64-bit form', async () => {
  const amd64 = new Uint8Array(readFileSync(fixture('go-darwin-amd64')));
  const fat = buildFat([{ ...machHeaderCpu(amd64), bytes: amd64 }]);
  assert.match((await fileFormat(fat)).verdict, /^Mach-O universal binary with 1 architecture/);
  assert.equal(detectFormat(head(fat)), 'macho');
  assert.equal(detectFormat(head(buildFat([{ ...machHeaderCpu(amd64), bytes: amd64 }], { fat64: true }))), 'macho');
});

test('every thin Mach-O magic: both byte orders, 32 and 64 bit', () => {
  for (const is64 of [true, false]) {
    for (const littleEndian of [true, false]) {
      const bytes = buildMachO({ is64, littleEndian, cputype: is64 ? CPU.ppc64 : CPU.ppc, filetype: FILETYPE.execute });
      assert.equal(detectFormat(head(bytes)), 'macho', `${is64 ? 64 : 32}-bit ${littleEndian ? 'LE' : 'BE'}`);
    }
  }
});

test('CAFEBABE: a small architecture count is a fat file, a Java class version is not (as file(1) decides)', async () => {
  // Java 8 class file: magic, minor 0, major 52.
  const javaClass = new Uint8Array([0xca, 0xfe, 0xba, 0xbe, 0x00, 0x00, 0x00, 0x34, 0x00, 0x10, 0x0a, 0x00]);
  const java = await fileFormat(javaClass);
  assert.match(java.verdict, /compiled Java class data/);
  assert.equal(detectFormat(javaClass), 'unknown');

  for (const count of [1, 2, 5, 19, 20, 25, 30, 31, 45, 52, 65]) {
    const bytes = new Uint8Array(256);
    bytes.set(u32be(0xcafebabe, count));
    const oracle = await fileFormat(bytes);
    assert.equal(detectFormat(head(bytes)), oracle.format, `nfat_arch ${count}: file says ${oracle.verdict}`);
  }
});

test('PE: confirmed when the head reaches the signature, assumed when it does not, refused for MS-DOS programs', async () => {
  const { bytes } = buildPe({
    pe32plus: true,
    machine: MACHINE.amd64,
    imageBase: 0x400000n,
    lfanew: 0x100,
    sections: [{ name: '.text', virtualSize: 0x10, rawSize: 0x10, characteristics: SCN.code | SCN.execute | SCN.read }],
  });
  assert.equal((await fileFormat(bytes)).format, 'pe');
  assert.equal(detectFormat(head(bytes, 0x200)), 'pe');
  assert.equal(detectFormat(head(bytes, 64)), 'pe', 'e_lfanew beyond the head: let parsePe decide');

  const dos = new Uint8Array(bytes);
  dos[0x100] = 0x4e; // "NE\0\0": a 16-bit Windows program, not PE
  const dosVerdict = await fileFormat(dos);
  assert.equal(dosVerdict.format, 'unknown', dosVerdict.verdict);
  assert.equal(detectFormat(head(dos, 0x200)), 'unknown');
});

test('text, empty and too-short inputs are unknown', async () => {
  const text = new TextEncoder().encode('#!/bin/sh\necho hello from a script that is not a binary\n');
  assert.equal((await fileFormat(text)).format, 'unknown');
  assert.equal(detectFormat(text), 'unknown');
  assert.equal((await fileFormat(new Uint8Array())).verdict, 'empty');
  assert.equal(detectFormat(new Uint8Array()), 'unknown');
  assert.equal(detectFormat(new Uint8Array([0x7f, 0x45, 0x4c])), 'unknown');
  assert.equal(detectFormat(new Uint8Array([0xcf, 0xfa, 0xed])), 'unknown');
  assert.equal(detectFormat(new Uint8Array([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0])), 'unknown');
  assert.equal(detectFormat(new Uint8Array([0x4d, 0x5a, 0x90, 0x00])), 'unknown');
});
