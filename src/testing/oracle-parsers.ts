/**
 * Parsers for the text the oracle tools print: file(1), readelf, ldd and
 * `go version -m`. Kept apart from running the tools so the parsing of rare
 * shapes (a missing library, a vdso, a quoted build setting) can be tested
 * on text we construct. Each parser keeps the tool's raw strings: tests
 * compare our readers with what the tool says, not with our rewording.
 */

export type ElfClass = 32 | 64;
export type Endian = 'little' | 'big';
export type ElfFileType = 'executable' | 'pie-executable' | 'shared-object' | 'relocatable' | 'core';
export type Linkage = 'static' | 'static-pie' | 'dynamic';

export interface FileVerdict {
  /** The whole line `file -b` printed. */
  raw: string;
  format: 'elf' | 'macho' | 'pe' | 'other';
  /** ELF only below; null for other formats. */
  class: ElfClass | null;
  endian: Endian | null;
  type: ElfFileType | null;
  linkage: Linkage | null;
  interpreter: string | null;
  /** true for "stripped", false for "not stripped", null when file(1) says neither. */
  stripped: boolean | null;
  /** The machine as file(1) names it, e.g. "x86-64", "ARM aarch64", "ARM, EABI5", "IBM S/390". */
  arch: string | null;
}

const FILE_TYPES: Record<string, ElfFileType> = {
  executable: 'executable',
  'pie executable': 'pie-executable',
  'shared object': 'shared-object',
  relocatable: 'relocatable',
  'core file': 'core',
};

/** Parses one line of `file -b` output. */
export function parseFileOutput(raw: string): FileVerdict {
  const line = raw.trim();
  const verdict: FileVerdict = {
    raw: line,
    format: 'other',
    class: null,
    endian: null,
    type: null,
    linkage: null,
    interpreter: null,
    stripped: null,
    arch: null,
  };
  if (line.startsWith('Mach-O')) return { ...verdict, format: 'macho' };
  if (line.startsWith('PE32')) return { ...verdict, format: 'pe' };
  const head = /^ELF (32|64)-bit (LSB|MSB) (executable|pie executable|shared object|relocatable|core file),\s*/.exec(line);
  if (!head) return verdict;
  verdict.format = 'elf';
  verdict.class = head[1] === '32' ? 32 : 64;
  verdict.endian = head[2] === 'LSB' ? 'little' : 'big';
  verdict.type = FILE_TYPES[head[3] ?? ''] ?? null;
  // The machine runs up to the "version N (ABI)" field; its own text may hold
  // commas ("ARM, EABI5 version 1", "MIPS, MIPS32 version 1").
  const rest = line.slice(head[0].length);
  const machine = /^(.*?),?\s*version \d+ \(/.exec(rest);
  verdict.arch = machine ? (machine[1] ?? '').replace(/,\s*$/, '') || null : null;
  if (/(?:^|, )static-pie linked(?:,|$)/.test(line)) verdict.linkage = 'static-pie';
  else if (/(?:^|, )statically linked(?:,|$)/.test(line)) verdict.linkage = 'static';
  else if (/(?:^|, )dynamically linked(?:,|$)/.test(line)) verdict.linkage = 'dynamic';
  const interp = /(?:^|, )interpreter ([^,]+)(?:,|$)/.exec(line);
  verdict.interpreter = interp ? (interp[1] ?? '').trim() : null;
  const stripped = /(?:^|, )(not )?stripped$/.exec(line);
  verdict.stripped = stripped ? stripped[1] === undefined : null;
  return verdict;
}

export interface DynamicEntry {
  /** The tag name readelf prints, without parentheses: NEEDED, RUNPATH, FLAGS_1… */
  tag: string;
  /** The value text as printed. */
  value: string;
}

export interface ReadelfDynamic {
  /** False when readelf reports no dynamic section. */
  present: boolean;
  entries: DynamicEntry[];
  needed: string[];
  /** One string per DT_RPATH entry, exactly as stored (may hold several ':'-separated directories). */
  rpath: string[];
  runpath: string[];
  soname: string | null;
  /** DT_FLAGS_1 as a number, rebuilt from readelf's flag names; null when the entry is absent. */
  flags1: number | null;
}

/** DT_FLAGS_1 names in readelf's spelling, in bit order from 0x1 (binutils readelf.c). */
const FLAGS_1_NAMES = [
  'NOW', 'GLOBAL', 'GROUP', 'NODELETE', 'LOADFLTR', 'INITFIRST', 'NOOPEN', 'ORIGIN',
  'DIRECT', 'TRANS', 'INTERPOSE', 'NODEFLIB', 'NODUMP', 'CONFALT', 'ENDFILTEE', 'DISPRELDNE',
  'DISPRELPND', 'NODIRECT', 'IGNMULDEF', 'NOKSYMS', 'NOHDR', 'EDITED', 'NORELOC', 'SYMINTPOSE',
  'GLOBAUDIT', 'SINGLETON', 'STUB', 'PIE', 'KMOD', 'WEAKFILTER', 'NOCOMMON',
] as const;

/** Turns readelf's "Flags: NOW PIE" back into the value; bits it has no name for are printed as bare hex. */
export function parseFlags1(text: string): number {
  const words = text.replace(/^Flags:\s*/, '').trim().split(/\s+/).filter((w) => w !== '' && w !== 'None');
  let value = 0;
  for (const word of words) {
    const bit = FLAGS_1_NAMES.indexOf(word as (typeof FLAGS_1_NAMES)[number]);
    if (bit >= 0) value += 2 ** bit;
    else if (/^[0-9a-f]+$/i.test(word)) value += Number.parseInt(word, 16);
    else throw new Error(`readelf: unknown FLAGS_1 word "${word}" in "${text}"`);
  }
  return value;
}

const BRACKETED = /\[(.*)\]/;

/** Parses `readelf -dW` output. */
export function parseReadelfDynamic(raw: string): ReadelfDynamic {
  const result: ReadelfDynamic = { present: false, entries: [], needed: [], rpath: [], runpath: [], soname: null, flags1: null };
  for (const line of raw.split('\n')) {
    const entry = /^\s*0x[0-9a-f]+\s+\(([^)]+)\)\s+(.*)$/i.exec(line);
    if (!entry) continue;
    result.present = true;
    const tag = entry[1] ?? '';
    const value = (entry[2] ?? '').trimEnd();
    result.entries.push({ tag, value });
    const inBrackets = BRACKETED.exec(value)?.[1];
    switch (tag) {
      case 'NEEDED':
        if (inBrackets !== undefined) result.needed.push(inBrackets);
        break;
      case 'RPATH':
        if (inBrackets !== undefined) result.rpath.push(inBrackets);
        break;
      case 'RUNPATH':
        if (inBrackets !== undefined) result.runpath.push(inBrackets);
        break;
      case 'SONAME':
        if (inBrackets !== undefined) result.soname = inBrackets;
        break;
      case 'FLAGS_1':
        result.flags1 = parseFlags1(value);
        break;
    }
  }
  return result;
}

export interface ReadelfHeader {
  class: ElfClass;
  data: Endian;
  /** Machine as readelf names it, e.g. "Advanced Micro Devices X86-64", "AArch64", "IBM S/390". */
  machine: string;
  /** The e_type mnemonic: EXEC, DYN, REL, CORE (or readelf's text for others). */
  type: string;
  /** readelf's full type text, e.g. "DYN (Position-Independent Executable file)". */
  typeText: string;
  osAbi: string;
  entry: bigint;
}

/** Parses `readelf -hW` output. */
export function parseReadelfHeader(raw: string): ReadelfHeader {
  const fields = new Map<string, string>();
  for (const line of raw.split('\n')) {
    const m = /^\s+([^:]+):\s+(.*)$/.exec(line);
    if (m) fields.set((m[1] ?? '').trim(), (m[2] ?? '').trim());
  }
  const need = (name: string): string => {
    const value = fields.get(name);
    if (value === undefined) throw new Error(`readelf -h: no "${name}" field in:\n${raw}`);
    return value;
  };
  const typeText = need('Type');
  return {
    class: need('Class') === 'ELF32' ? 32 : 64,
    data: need('Data').includes('big endian') ? 'big' : 'little',
    machine: need('Machine'),
    type: typeText.split(' ')[0] ?? typeText,
    typeText,
    osAbi: need('OS/ABI'),
    entry: BigInt(need('Entry point address')),
  };
}

export interface ProgramHeader {
  type: string;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
  /** readelf's flag letters without spaces: "R", "RW", "RE", "RWE". */
  flags: string;
  align: bigint;
}

export interface ReadelfProgramHeaders {
  /** "[Requesting program interpreter: …]", or null. */
  interpreter: string | null;
  segments: ProgramHeader[];
}

/** Parses `readelf -lW` output. */
export function parseReadelfProgramHeaders(raw: string): ReadelfProgramHeaders {
  const interpreter = /\[Requesting program interpreter: ([^\]]*)\]/.exec(raw)?.[1] ?? null;
  const segments: ProgramHeader[] = [];
  for (const line of raw.split('\n')) {
    // Flags sit between MemSiz and Align and may hold spaces ("R E").
    const m = /^\s+(\S+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+([RWE ]*?)\s+(0x[0-9a-f]+)\s*$/i.exec(line);
    if (!m) continue;
    segments.push({
      type: m[1] ?? '',
      offset: BigInt(m[2] ?? '0'),
      vaddr: BigInt(m[3] ?? '0'),
      paddr: BigInt(m[4] ?? '0'),
      filesz: BigInt(m[5] ?? '0'),
      memsz: BigInt(m[6] ?? '0'),
      flags: (m[7] ?? '').replace(/\s+/g, ''),
      align: BigInt(m[8] ?? '0'),
    });
  }
  return { interpreter, segments };
}

export interface LddLibrary {
  /** The name as the loader printed it: a soname, or a path for the interpreter. */
  name: string;
  /** Where it resolved; null for the vdso and for libraries not found. */
  path: string | null;
  kind: 'library' | 'missing' | 'vdso' | 'interpreter';
}

export interface LddResult {
  static: boolean;
  libs: LddLibrary[];
}

/** Parses ldd's (or musl's `ld-musl --list`) output, keeping its order. */
export function parseLdd(raw: string): LddResult {
  if (/^\s*(not a dynamic executable|statically linked)\s*$/m.test(raw) && !/=>/.test(raw)) {
    return { static: true, libs: [] };
  }
  const libs: LddLibrary[] = [];
  for (const rawLine of raw.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    const arrow = /^(\S+) => (.*?)\s*(?:\(0x[0-9a-f]+\))?$/i.exec(line);
    if (arrow) {
      const name = arrow[1] ?? '';
      const target = (arrow[2] ?? '').trim();
      if (target === 'not found') libs.push({ name, path: null, kind: 'missing' });
      // A vdso can print as "linux-vdso.so.1 =>  (0x…)" with nothing between.
      else if (target === '') libs.push({ name, path: null, kind: 'vdso' });
      else libs.push({ name, path: target, kind: 'library' });
      continue;
    }
    const bare = /^(\S+)\s*(?:\(0x[0-9a-f]+\))?$/i.exec(line);
    if (bare) {
      const name = bare[1] ?? '';
      if (name.startsWith('/')) libs.push({ name, path: name, kind: 'interpreter' });
      else libs.push({ name, path: null, kind: 'vdso' });
    }
  }
  return { static: false, libs };
}

export interface GoModuleLine {
  path: string;
  version: string;
  /** The checksum, or '' when `go version -m` printed none. */
  sum: string;
  replace?: GoModuleLine;
}

export interface GoSetting {
  /** The key exactly as printed (Go-quoted when it holds special characters). */
  key: string;
  /** The value exactly as printed, quotes included. */
  value: string;
}

export interface GoVersionM {
  /** The Go version the binary was built with, e.g. "go1.23.5". */
  version: string;
  /** The main package's import path ('' when absent). */
  path: string;
  mod: GoModuleLine | null;
  deps: GoModuleLine[];
  settings: GoSetting[];
}

/** End of a Go-quoted string starting at `start` (a '"' or '`'); returns the index after the closing quote. */
function endOfQuoted(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === quote) return i + 1;
  }
  throw new Error(`go version -m: unterminated quoted key in "${text}"`);
}

/** Splits "key=value" where the key may itself be quoted and hold '='. */
function parseSetting(text: string): GoSetting {
  const keyEnd = text.startsWith('"') || text.startsWith('`') ? endOfQuoted(text, 0) : text.indexOf('=');
  if (keyEnd < 0 || text[keyEnd] !== '=') throw new Error(`go version -m: malformed build line "${text}"`);
  return { key: text.slice(0, keyEnd), value: text.slice(keyEnd + 1) };
}

/**
 * Parses `go version -m <file>` output. `file` is the path as given to the
 * tool, which starts the first line ("<file>: go1.23.5").
 */
export function parseGoVersionM(raw: string, file: string): GoVersionM {
  const lines = raw.split('\n');
  const first = lines[0] ?? '';
  const prefix = `${file}: `;
  if (!first.startsWith(prefix)) throw new Error(`go version -m: first line does not name ${file}: "${first}"`);
  const result: GoVersionM = { version: first.slice(prefix.length).trim(), path: '', mod: null, deps: [], settings: [] };
  let last: GoModuleLine | null = null;
  for (const line of lines.slice(1)) {
    // Each line is a tab, a word, a tab and tab-separated fields; a replace
    // ends with an empty line holding just the tab.
    if (line.trim() === '') continue;
    const fields = line.replace(/^\t/, '').split('\t');
    const word = fields[0];
    const module = (): GoModuleLine => ({ path: fields[1] ?? '', version: fields[2] ?? '', sum: fields[3] ?? '' });
    switch (word) {
      case 'path':
        result.path = fields.slice(1).join('\t');
        break;
      case 'mod':
        result.mod = last = module();
        break;
      case 'dep':
        last = module();
        result.deps.push(last);
        break;
      case '=>':
        if (!last) throw new Error(`go version -m: "=>" with no module before it`);
        last.replace = module();
        break;
      case 'build':
        result.settings.push(parseSetting(fields.slice(1).join('\t')));
        break;
      default:
        throw new Error(`go version -m: unexpected line "${line}"`);
    }
  }
  return result;
}
