/**
 * file(1) as an oracle for the identity of Mach-O and PE files: its verdict
 * line, turned into the fields of our BinaryIdentity so tests can compare.
 * The tables below translate file's words into Go's names; they are the
 * only knowledge in here, everything else comes from file itself.
 */
import assert from 'node:assert/strict';
import type { BinaryIdentity, BinaryType } from '../binary/identity.js';
import { run } from './process.js';

/** file -b on one path, trimmed. */
export async function fileVerdict(path: string): Promise<string> {
  const { stdout } = await run('file', ['-b', path]);
  return stdout.trim();
}

/** file(1)'s CPU names and what they mean in Go's names. */
const FILE_CPUS: Record<string, { arch: string; bits: 32 | 64; endian: 'little' | 'big' }> = {
  x86_64: { arch: 'amd64', bits: 64, endian: 'little' },
  arm64: { arch: 'arm64', bits: 64, endian: 'little' },
  i386: { arch: '386', bits: 32, endian: 'little' },
  armv7: { arch: 'arm', bits: 32, endian: 'little' },
  ppc: { arch: 'ppc', bits: 32, endian: 'big' },
  ppc64: { arch: 'ppc64', bits: 64, endian: 'big' },
};
const FILE_TYPES: Record<string, BinaryType> = {
  executable: 'executable',
  object: 'relocatable',
  core: 'core',
  bundle: 'shared-object',
  'dynamically linked shared library': 'shared-object',
};

/** The identity file(1) states for a thin Mach-O, e.g. "Mach-O 64-bit x86_64 executable, flags:<|DYLDLINK|PIE>". */
export async function fileMachOIdentity(path: string): Promise<Omit<BinaryIdentity, 'os'>> {
  const stdout = await fileVerdict(path);
  const m = /^Mach-O (64-bit )?(\S+) (executable|object|core|bundle|dynamically linked shared library)(?:, flags:<([^>]*)>)?/.exec(stdout);
  assert.ok(m, `file(1) did not call ${path} a Mach-O: ${stdout}`);
  const cpu = FILE_CPUS[m[2] ?? ''];
  const kind = FILE_TYPES[m[3] ?? ''];
  assert.ok(cpu && kind, `unexpected file(1) verdict: ${stdout}`);
  if (m[1]) assert.equal(cpu.bits, 64);
  const pie = (m[4] ?? '').split('|').includes('PIE');
  return { format: 'macho', arch: cpu.arch, bits: cpu.bits, endian: cpu.endian, type: kind === 'executable' && pie ? 'pie-executable' : kind };
}


/** file(1)'s names for COFF machines, in Go's names. */
const FILE_PE_MACHINES: Record<string, string> = {
  'x86-64': 'amd64',
  'Intel 80386': '386',
  Aarch64: 'arm64',
  'ARMv7 Thumb': 'arm',
  'RISC-V 64-bit': 'riscv64',
};

/** The identity file(1) states for a PE image, e.g. "PE32+ executable (DLL) (console) x86-64, for MS Windows, 15 sections". */
export async function filePeIdentity(path: string): Promise<BinaryIdentity> {
  const stdout = await fileVerdict(path);
  const m = /^PE32(\+)? executable (\(DLL\) )?\([^)]*\) ([^,(]+?)(?: \(stripped to external PDB\))?, for MS Windows/.exec(stdout);
  assert.ok(m, `file(1) did not call ${path} a PE image: ${stdout}`);
  const arch = FILE_PE_MACHINES[m[3] ?? ''];
  assert.ok(arch, `unexpected machine in file(1) verdict: ${stdout}`);
  return { format: 'pe', os: 'windows', arch, bits: m[1] ? 64 : 32, endian: 'little', type: m[2] ? 'shared-object' : 'executable' };
}
