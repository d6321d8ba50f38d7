import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readdir, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import { withFile } from '../io/source.js';
import { FIXTURE_NAMES, fixture, fixtureRecord } from '../testing/fixtures.js';
import { run } from '../testing/process.js';
import { DF_1_PIE, ET_DYN, PT_DYNAMIC, parseElf, type ElfFile } from './index.js';

/**
 * Differential tests against the tools people already trust: file(1) for
 * class, byte order, type, linkage, interpreter and "stripped", readelf for
 * the dynamic section and symbol versioning, on this machine's own binaries
 * and on the cross-compiled Go fixtures. Disagreements are collected and
 * reported together; the only accepted ones are the documented file 5.44
 * quirks in `fileQuirk`.
 */

/** Caps keep the run well under a minute on a shared two-core machine. */
const MAX_PER_DIR = 600;
const SHARED_LIBRARY_SAMPLE = 120;

async function isElfFile(path: string): Promise<boolean> {
  const st = await lstat(path).catch(() => undefined);
  if (!st?.isFile() || st.size < 64) return false;
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    return head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    await fh.close();
  }
}

async function elfFilesIn(dir: string, filter: (name: string) => boolean = () => true): Promise<string[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter(filter).sort();
  const out: string[] = [];
  for (const n of names) if (out.length < MAX_PER_DIR && (await isElfFile(join(dir, n)))) out.push(join(dir, n));
  return out;
}

async function goDirs(): Promise<string[]> {
  const roots = (await readdir('/usr/lib').catch(() => [] as string[])).filter((n) => /^go-\d/.test(n)).map((n) => join('/usr/lib', n));
  const dirs: string[] = [];
  for (const r of roots) {
    dirs.push(join(r, 'bin'));
    for (const t of await readdir(join(r, 'pkg/tool')).catch(() => [] as string[])) dirs.push(join(r, 'pkg/tool', t));
  }
  return dirs;
}

/** The machine's binaries: every ELF file in the bin directories, a spread sample of the shared libraries, the C fixtures. */
async function hostBinaries(): Promise<string[]> {
  const files: string[] = [];
  for (const dir of ['/usr/bin', '/usr/sbin', ...(await goDirs())]) files.push(...(await elfFilesIn(dir)));
  const libs = await elfFilesIn('/usr/lib/x86_64-linux-gnu', (n) => /\.so(\.|$)/.test(n));
  const step = Math.max(1, Math.ceil(libs.length / SHARED_LIBRARY_SAMPLE));
  files.push(...libs.filter((_, i) => i % step === 0));
  for (const name of FIXTURE_NAMES) {
    const record = fixtureRecord(name);
    const path = fixture(name);
    if (record.directory) {
      for (const sub of ['bin', 'lib', 'lib/inner']) files.push(...(await elfFilesIn(join(path, sub))));
    } else if (await isElfFile(path)) files.push(path);
  }
  assert.ok(files.length >= 50, `only ${files.length} ELF files found to compare against`);
  return files;
}

interface FileVerdict {
  bits: number;
  endian: 'little' | 'big';
  type: string;
  machine: string;
  linkage: string | undefined;
  interpreter: string | undefined;
  stripped: boolean | undefined;
  os: string | undefined;
}

const FILE_TYPES: Record<string, string> = {
  executable: 'executable',
  'pie executable': 'pie-executable',
  'shared object': 'shared-object',
  relocatable: 'relocatable',
  'core file': 'core',
};
const FILE_LINKAGE: Record<string, string> = { statically: 'static', dynamically: 'dynamic', 'static-pie': 'static-pie' };

/** One `file -b` line, read the way a person reads it. */
function parseFileLine(line: string): FileVerdict | undefined {
  const m = /ELF (32|64)-bit (LSB|MSB) (pie executable|shared object|executable|relocatable|core file), ([^,]+)/.exec(line);
  if (!m) return undefined;
  const linkage = /, (static-pie|statically|dynamically) linked/.exec(line)?.[1];
  const stripped = /, (not )?stripped(?:,|$)/.exec(line);
  const os = /FreeBSD/.test(line) ? 'freebsd' : /GNU\/Linux|\(SYSV\)/.test(line) ? 'linux' : undefined;
  return {
    bits: Number(m[1]),
    endian: m[2] === 'LSB' ? 'little' : 'big',
    type: FILE_TYPES[m[3] ?? ''] ?? '?',
    machine: m[4] ?? '',
    linkage: linkage === undefined ? undefined : FILE_LINKAGE[linkage],
    interpreter: /, interpreter ([^,]+)/.exec(line)?.[1],
    stripped: stripped ? stripped[1] === undefined : undefined,
    os,
  };
}

/** GOARCH for file(1)'s machine names, refined by class and byte order as file leaves them. */
function fileMachineToArch(machine: string, bits: number, endian: string): string {
  const le = endian === 'little';
  if (machine === 'x86-64') return 'amd64';
  if (machine === 'Intel 80386') return '386';
  if (machine === 'ARM aarch64') return 'arm64';
  if (machine === 'ARM') return 'arm';
  if (machine === 'IBM S/390') return bits === 64 ? 's390x' : 's390';
  if (machine.startsWith('64-bit PowerPC')) return le ? 'ppc64le' : 'ppc64';
  if (machine.startsWith('PowerPC')) return 'ppc';
  if (machine.startsWith('UCB RISC-V')) return bits === 64 ? 'riscv64' : 'riscv';
  if (machine === 'MIPS') return (bits === 64 ? 'mips64' : 'mips') + (le ? 'le' : '');
  if (machine === 'LoongArch') return 'loong64';
  if (machine === 'SPARC V9') return 'sparc64';
  return `file(1) machine "${machine}"`;
}

/** `file -b` for many files at once: one line per file, in order. */
async function fileVerdicts(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < paths.length; i += 200) {
    const batch = paths.slice(i, i + 200);
    const r = await run('file', ['-b', '--', ...batch]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').slice(0, batch.length);
    assert.equal(lines.length, batch.length);
    out.push(...lines);
  }
  return out;
}

interface ReadelfFacts {
  needed: string[];
  soname: string | null;
  rpath: string | null;
  runpath: string | null;
  versionNeeds: { file: string; versions: string[] }[];
  versionDefinitions: string[];
}

/** `readelf -dVW` on many files; each file's part starts with "File: <path>". */
async function readelfFacts(paths: readonly string[]): Promise<Map<string, ReadelfFacts>> {
  const facts = new Map<string, ReadelfFacts>();
  for (let i = 0; i < paths.length; i += 200) {
    // A batch of one would print no "File:" line; give readelf the first file twice then.
    const batch = paths.slice(i, i + 200);
    const args = batch.length === 1 ? [...batch, ...batch] : batch;
    const r = await run('readelf', ['-dVW', ...args]);
    for (const part of r.stdout.split(/^File: /m).slice(1)) {
      const nl = part.indexOf('\n');
      facts.set(part.slice(0, nl), parseReadelf(part.slice(nl + 1)));
    }
  }
  return facts;
}

function parseReadelf(text: string): ReadelfFacts {
  const all = (re: RegExp) => [...text.matchAll(re)].map((m) => m[1] ?? '');
  const tag = (name: string) => all(new RegExp(`\\(${name}\\)\\s+Library ${name.toLowerCase()}: \\[(.*)\\]$`, 'gm'));
  const versionNeeds: ReadelfFacts['versionNeeds'] = [];
  const versionDefinitions: string[] = [];
  let section = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('Version needs section')) section = 'needs';
    else if (line.startsWith('Version definition section')) section = 'defs';
    else if (line.startsWith('Version symbols section') || line === '') section = line === '' ? section : 'syms';
    const need = /^\s+(?:0x)?[0-9a-f]+: Version: \d+\s+File: (.+?)\s+Cnt: \d+$/.exec(line);
    const aux = /^\s+(?:0x)?[0-9a-f]+:\s+Name: (.+?)\s+Flags: .*Version: \d+$/.exec(line);
    const def = /^\s+(?:0x)?[0-9a-f]+: Rev: \d+\s+Flags: (.+?)\s+Index: \d+\s+Cnt: \d+\s+Name: (.+)$/.exec(line);
    if (section === 'needs' && need) versionNeeds.push({ file: need[1] ?? '', versions: [] });
    else if (section === 'needs' && aux) versionNeeds.at(-1)?.versions.push(aux[1] ?? '');
    else if (section === 'defs' && def && !(def[1] ?? '').includes('BASE')) versionDefinitions.push(def[2] ?? '');
  }
  return {
    needed: all(/\(NEEDED\)\s+Shared library: \[(.*)\]$/gm),
    soname: tag('SONAME')[0] ?? null,
    rpath: tag('RPATH').join(':') || null,
    runpath: tag('RUNPATH').join(':') || null,
    versionNeeds,
    versionDefinitions,
  };
}

/**
 * The accepted disagreements with file 5.44, both pinned by synthetic tests:
 * it treats any DT_FLAGS_1 entry as "pie" for the static-pie verdict, and
 * for ET_DYN without PT_DYNAMIC it decides "pie executable" from the file's
 * execute bits, which a byte reader does not see.
 */
function fileQuirk(field: string, ours: unknown, theirs: unknown, elf: ElfFile): boolean {
  const dyn = elf.dynamic;
  const need = (dyn?.needed.length ?? 0) + (elf.interpreter !== null ? 1 : 0);
  if (field === 'linkage' && ours === 'dynamic' && theirs === 'static-pie') {
    return dyn !== null && dyn.flags1 !== 0 && (dyn.flags1 & DF_1_PIE) === 0 && need === 0;
  }
  if (field === 'type' && elf.header.type === ET_DYN && !elf.segments.some((s) => s.type === PT_DYNAMIC)) return true;
  return false;
}

test('agrees with file(1) and readelf on this machine’s binaries', async () => {
  const paths = await hostBinaries();
  const verdicts = await fileVerdicts(paths);
  const readelf = await readelfFacts(paths);
  const problems: string[] = [];
  let compared = 0;
  for (const [i, path] of paths.entries()) {
    const line = verdicts[i] ?? '';
    const f = parseFileLine(line);
    if (!f) {
      problems.push(`${path}: cannot read file(1)'s verdict: ${line}`);
      continue;
    }
    let elf: ElfFile;
    try {
      elf = await withFile(path, parseElf);
    } catch (e) {
      problems.push(`${path}: parse failed: ${String(e)}`);
      continue;
    }
    compared++;
    const check = (field: string, ours: unknown, theirs: unknown) => {
      if (JSON.stringify(ours) !== JSON.stringify(theirs) && !fileQuirk(field, ours, theirs, elf)) {
        problems.push(`${path}: ${field}: ours ${JSON.stringify(ours)}, oracle ${JSON.stringify(theirs)}`);
      }
    };
    check('bits', elf.identity.bits, f.bits);
    check('endian', elf.identity.endian, f.endian);
    check('type', elf.identity.type, f.type);
    check('arch', elf.identity.arch, fileMachineToArch(f.machine, f.bits, f.endian));
    if (f.os !== undefined) check('os', elf.identity.os, f.os);
    check('linkage', elf.linkage, f.linkage);
    check('interpreter', elf.interpreter, f.interpreter ?? null);
    check('stripped', elf.stripped, f.stripped);
    check('warnings', elf.warnings, []);
    const r = readelf.get(path);
    if (!r) {
      problems.push(`${path}: no readelf output`);
      continue;
    }
    check('needed', elf.dynamic?.needed ?? [], r.needed);
    check('soname', elf.dynamic?.soname ?? null, r.soname);
    check('rpath', elf.dynamic && elf.dynamic.rpath.length > 0 ? elf.dynamic.rpath.join(':') : null, r.rpath);
    check('runpath', elf.dynamic && elf.dynamic.runpath.length > 0 ? elf.dynamic.runpath.join(':') : null, r.runpath);
    check('versionNeeds', elf.versionNeeds, r.versionNeeds);
    check('versionDefinitions', elf.versionDefinitions, r.versionDefinitions);
  }
  assert.deepEqual(problems.slice(0, 30), [], `${problems.length} disagreements over ${compared} files`);
  assert.ok(compared >= 50);
});

test('cross-compiled Go fixtures: arch, bits, byte order and OS agree with GOARCH and file(1)', async () => {
  const goElf = FIXTURE_NAMES.filter((n) => {
    const r = fixtureRecord(n);
    return r.kind === 'go' && !r.directory && (r.env.GOOS === undefined || r.env.GOOS === 'linux' || r.env.GOOS === 'freebsd');
  });
  const arches = new Set<string>();
  const paths = goElf.map((n) => fixture(n));
  const verdicts = await fileVerdicts(paths);
  for (const [i, name] of goElf.entries()) {
    const record = fixtureRecord(name);
    const elf = await withFile(paths[i] ?? '', parseElf);
    const f = parseFileLine(verdicts[i] ?? '');
    assert.ok(f, `${name}: file said ${verdicts[i]}`);
    const goarch = record.env.GOARCH ?? 'amd64';
    assert.equal(elf.identity.arch, goarch, name);
    assert.equal(fileMachineToArch(f.machine, f.bits, f.endian), goarch, `${name}: file said ${verdicts[i]}`);
    assert.equal(elf.identity.bits, f.bits, name);
    assert.equal(elf.identity.endian, f.endian, name);
    assert.equal(elf.identity.os, record.env.GOOS ?? 'linux', name);
    if (f.os !== undefined) assert.equal(elf.identity.os, f.os, name);
    assert.notEqual(elf.notes.find((n) => n.name === 'Go'), undefined, `${name}: Go build ID note`);
    arches.add(goarch);
  }
  for (const a of ['amd64', 'arm64', '386', 'arm', 's390x', 'ppc64', 'ppc64le', 'riscv64', 'mips64le', 'mips', 'loong64']) {
    assert.ok(arches.has(a), `no fixture for ${a}`);
  }
});

test('Mach-O and PE fixtures are rejected with a FormatError, not misread', async () => {
  const foreign = FIXTURE_NAMES.filter((n) => ['darwin', 'windows'].includes(fixtureRecord(n).env.GOOS ?? ''));
  assert.ok(foreign.length > 0);
  for (const name of foreign) {
    await assert.rejects(withFile(fixture(name), parseElf), (e: unknown) => e instanceof FormatError && /not an ELF file/.test(e.message));
  }
});
