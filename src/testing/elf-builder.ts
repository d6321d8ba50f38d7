/**
 * A small ELF writer for tests: builds well-formed files of either class
 * and byte order with exactly the structures a test names (interpreter,
 * dynamic section, symbol versioning, symbols, notes, extra sections), and
 * reports where each table landed so malformed-input tests can break a
 * chosen structure on purpose.
 *
 * Layout: [header][program headers][read-only alloc sections] in a R+X
 * PT_LOAD, [.dynamic][writable sections] in a R+W PT_LOAD whose addresses
 * are shifted against file offsets (so a reader that confuses addresses
 * with offsets fails), then the non-alloc sections, .shstrtab and the
 * section header table.
 */

import { elfHash, Strings, Writer, writePhdr, writeShdr, writeSymbol } from './elf-writer.js';

export const ET = { REL: 1, EXEC: 2, DYN: 3, CORE: 4 } as const;

export interface BuildSymbol {
  readonly name: string;
  readonly value: bigint | number;
  readonly size?: bigint | number;
  /** false = an undefined (imported) symbol, st_shndx 0. Default true. */
  readonly defined?: boolean;
  /** .dynsym only: the defined version (one of versionDefinitions). */
  readonly version?: string;
  /** .dynsym only: mark the version hidden (0x8000 in .gnu.version). */
  readonly hidden?: boolean;
}

export interface BuildNote {
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
}

export interface BuildSection {
  readonly name: string;
  /** sh_type, default SHT_PROGBITS. */
  readonly type?: number;
  /** sh_flags; SHF_ALLOC (2) places it in a PT_LOAD, SHF_WRITE (1) in the writable one. */
  readonly flags?: number;
  readonly data: Uint8Array;
}

export interface BuildDynamic {
  readonly needed?: readonly string[];
  readonly soname?: string;
  /** Stored as one DT_RPATH string each. */
  readonly rpath?: readonly string[];
  readonly runpath?: readonly string[];
  readonly flags?: number;
  readonly flags1?: number;
  /** Leave the DT_NULL terminator out. */
  readonly omitNull?: boolean;
  /** Leave DT_STRTAB/DT_STRSZ out (strings then only reachable through .dynstr). */
  readonly omitStrtab?: boolean;
  /** Leave DT_HASH out (the .hash section is still written). */
  readonly omitHash?: boolean;
  /** Extra [tag, value] entries, appended before DT_NULL. */
  readonly extra?: readonly (readonly [number, bigint])[];
}

export interface ElfSpec {
  readonly class?: 32 | 64;
  readonly littleEndian?: boolean;
  readonly machine?: number;
  readonly type?: number;
  readonly osabi?: number;
  readonly flags?: number;
  readonly interpreter?: string;
  readonly dynamic?: BuildDynamic;
  readonly versionNeeds?: readonly { readonly file: string; readonly versions: readonly string[] }[];
  /** Versions defined; a base entry (named by the soname, or "base") is added first, as linkers do. */
  readonly versionDefinitions?: readonly string[];
  /** .symtab entries (a .strtab is written with them). */
  readonly symbols?: readonly BuildSymbol[];
  /** .dynsym entries (with .gnu.version when versionDefinitions are given). */
  readonly dynamicSymbols?: readonly BuildSymbol[];
  readonly notes?: readonly BuildNote[];
  readonly sections?: readonly BuildSection[];
  /** Write no section header table at all. Default false. */
  readonly omitSectionHeaders?: boolean;
  /** Store e_phnum/e_shnum/e_shstrndx in section 0 (PN_XNUM, 0, SHN_XINDEX). */
  readonly extendedNumbering?: boolean;
  /** Write no program headers (default for ET_REL). */
  readonly omitProgramHeaders?: boolean;
}

export interface BuiltElf {
  readonly bytes: Uint8Array;
  /** [start, end) file ranges of the structures, by name: "header", "phdrs", "shdrs", and each section name. */
  readonly ranges: ReadonlyMap<string, readonly [number, number]>;
  /** Ranges worth hitting in fuzzing: header, tables, dynamic and version data. */
  readonly hot: [number, number][];
  /** Section indexes by name, as written. */
  readonly sectionIndex: ReadonlyMap<string, number>;
}

const SHT = { PROGBITS: 1, SYMTAB: 2, STRTAB: 3, HASH: 5, DYNAMIC: 6, NOTE: 7, DYNSYM: 11, VERDEF: 0x6ffffffd, VERNEED: 0x6ffffffe, VERSYM: 0x6fffffff };
const SHF = { WRITE: 1, ALLOC: 2 };
const PT = { LOAD: 1, DYNAMIC: 2, INTERP: 3, NOTE: 4 };
const DT = {
  NULL: 0, NEEDED: 1, HASH: 4, STRTAB: 5, SYMTAB: 6, STRSZ: 10, SYMENT: 11, SONAME: 14, RPATH: 15, RUNPATH: 29, FLAGS: 30,
  VERSYM: 0x6ffffff0, FLAGS_1: 0x6ffffffb, VERDEF: 0x6ffffffc, VERDEFNUM: 0x6ffffffd, VERNEED: 0x6ffffffe, VERNEEDNUM: 0x6fffffff,
};
const SHN_ABS = 0xfff1;
/** How far the writable segment's addresses sit from its file offsets. */
const DATA_SHIFT = 0x200000n;

interface Piece {
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  data: Uint8Array;
  readonly align: number;
  readonly entsize: number;
  /** Name of the section sh_link points at. */
  readonly link?: string;
  readonly info?: number;
  offset: number;
  addr: bigint;
}

export function buildElf(spec: ElfSpec): BuiltElf {
  const is64 = (spec.class ?? 64) === 64;
  const le = spec.littleEndian ?? true;
  const type = spec.type ?? ET.EXEC;
  const w = () => new Writer(le, is64);
  const base = type === ET.EXEC ? (is64 ? 0x400000n : 0x8048000n) : 0n;
  const dyn = spec.dynamic;
  const wantDynstr = dyn !== undefined || spec.versionNeeds !== undefined || spec.versionDefinitions !== undefined || spec.dynamicSymbols !== undefined;

  // Strings first: every table that points into .dynstr needs its offsets.
  const dynstr = new Strings();
  const pieces: Piece[] = [];
  const piece = (p: Omit<Piece, 'offset' | 'addr'>): Piece => {
    const full: Piece = { ...p, offset: 0, addr: 0n };
    pieces.push(full);
    return full;
  };

  if (spec.interpreter !== undefined) {
    piece({ name: '.interp', type: SHT.PROGBITS, flags: SHF.ALLOC, data: new TextEncoder().encode(spec.interpreter + '\0'), align: 1, entsize: 0 });
  }
  if (spec.notes && spec.notes.length > 0) {
    const n = w();
    for (const note of spec.notes) {
      const name = new TextEncoder().encode(note.name + '\0');
      n.u32(name.length).u32(note.desc.length).u32(note.type).bytes(name).align(4).bytes(note.desc).align(4);
    }
    piece({ name: '.note', type: SHT.NOTE, flags: SHF.ALLOC, data: n.done(), align: 4, entsize: 0 });
  }

  // Version indexes: 1 is the base definition, then definitions, then needs (as GNU ld numbers them).
  const defIndex = new Map<string, number>();
  let nextIndex = 2;
  for (const v of spec.versionDefinitions ?? []) defIndex.set(v, nextIndex++);

  if (spec.dynamicSymbols) {
    const syms = w();
    const names = spec.dynamicSymbols.map((s) => dynstr.add(s.name));
    writeSymbol(syms, is64, 0, 0n, 0n, 0, 0);
    spec.dynamicSymbols.forEach((s, i) => writeSymbol(syms, is64, names[i] ?? 0, BigInt(s.value), BigInt(s.size ?? 0), 0x12, s.defined === false ? 0 : SHN_ABS));
    piece({ name: '.dynsym', type: SHT.DYNSYM, flags: SHF.ALLOC, data: syms.done(), align: 8, entsize: is64 ? 24 : 16, link: '.dynstr', info: 1 });
    // A SysV hash table (what DT_HASH points at): one bucket whose chain runs down through every symbol.
    const count = spec.dynamicSymbols.length + 1;
    const hash = new Writer(le, false).u32(1).u32(count).u32(count - 1);
    for (let i = 0; i < count; i++) hash.u32(i === 0 ? 0 : i - 1);
    piece({ name: '.hash', type: SHT.HASH, flags: SHF.ALLOC, data: hash.done(), align: 4, entsize: 4, link: '.dynsym' });
    if (spec.versionDefinitions) {
      const vs = w().u16(0);
      for (const s of spec.dynamicSymbols) vs.u16(((s.version ? defIndex.get(s.version) : undefined) ?? 1) | (s.hidden ? 0x8000 : 0));
      piece({ name: '.gnu.version', type: SHT.VERSYM, flags: SHF.ALLOC, data: vs.done(), align: 2, entsize: 2, link: '.dynsym' });
    }
  }
  if (spec.versionDefinitions) {
    const d = w();
    const all = [dyn?.soname ?? 'base', ...spec.versionDefinitions];
    all.forEach((name, i) => {
      const last = i === all.length - 1;
      d.u16(1).u16(i === 0 ? 1 : 0).u16(i + 1).u16(1).u32(elfHash(name)).u32(20).u32(last ? 0 : 28);
      d.u32(dynstr.add(name)).u32(0);
    });
    piece({ name: '.gnu.version_d', type: SHT.VERDEF, flags: SHF.ALLOC, data: d.done(), align: 4, entsize: 0, link: '.dynstr', info: all.length });
  }
  if (spec.versionNeeds) {
    const r = w();
    spec.versionNeeds.forEach((need, i) => {
      const last = i === (spec.versionNeeds?.length ?? 0) - 1;
      r.u16(1).u16(need.versions.length).u32(dynstr.add(need.file)).u32(16).u32(last ? 0 : 16 + 16 * need.versions.length);
      need.versions.forEach((v, j) => {
        r.u32(elfHash(v)).u16(0).u16(nextIndex++).u32(dynstr.add(v)).u32(j === need.versions.length - 1 ? 0 : 16);
      });
    });
    piece({ name: '.gnu.version_r', type: SHT.VERNEED, flags: SHF.ALLOC, data: r.done(), align: 4, entsize: 0, link: '.dynstr', info: spec.versionNeeds.length });
  }

  // Dynamic entries: values that are addresses get patched once the layout is known.
  const entries: [number, bigint | string][] = [];
  if (dyn) {
    for (const n of dyn.needed ?? []) entries.push([DT.NEEDED, BigInt(dynstr.add(n))]);
    if (dyn.soname !== undefined) entries.push([DT.SONAME, BigInt(dynstr.add(dyn.soname))]);
    for (const p of dyn.rpath ?? []) entries.push([DT.RPATH, BigInt(dynstr.add(p))]);
    for (const p of dyn.runpath ?? []) entries.push([DT.RUNPATH, BigInt(dynstr.add(p))]);
  }
  const dynstrPiece = wantDynstr ? piece({ name: '.dynstr', type: SHT.STRTAB, flags: SHF.ALLOC, data: new Uint8Array(0), align: 1, entsize: 0 }) : undefined;
  if (dyn) {
    if (!dyn.omitStrtab) entries.push([DT.STRTAB, '@.dynstr'], [DT.STRSZ, '#.dynstr']);
    if (spec.dynamicSymbols) entries.push([DT.SYMTAB, '@.dynsym'], [DT.SYMENT, BigInt(is64 ? 24 : 16)]);
    if (spec.dynamicSymbols && !dyn.omitHash) entries.push([DT.HASH, '@.hash']);
    if (spec.dynamicSymbols && spec.versionDefinitions) entries.push([DT.VERSYM, '@.gnu.version']);
    if (spec.versionDefinitions) entries.push([DT.VERDEF, '@.gnu.version_d'], [DT.VERDEFNUM, BigInt(spec.versionDefinitions.length + 1)]);
    if (spec.versionNeeds) entries.push([DT.VERNEED, '@.gnu.version_r'], [DT.VERNEEDNUM, BigInt(spec.versionNeeds.length)]);
    if (dyn.flags !== undefined) entries.push([DT.FLAGS, BigInt(dyn.flags)]);
    if (dyn.flags1 !== undefined) entries.push([DT.FLAGS_1, BigInt(dyn.flags1)]);
    for (const [tag, value] of dyn.extra ?? []) entries.push([tag, value]);
    if (!dyn.omitNull) entries.push([DT.NULL, 0n]);
  }
  if (dynstrPiece) dynstrPiece.data = dynstr.bytes();

  for (const s of spec.sections ?? []) {
    if (((s.flags ?? 0) & SHF.ALLOC) !== 0 && ((s.flags ?? 0) & SHF.WRITE) === 0) {
      piece({ name: s.name, type: s.type ?? SHT.PROGBITS, flags: s.flags ?? 0, data: s.data, align: 16, entsize: 0 });
    }
  }
  const entrySize = is64 ? 16 : 8;
  const dynamicPiece = dyn
    ? piece({ name: '.dynamic', type: SHT.DYNAMIC, flags: SHF.ALLOC | SHF.WRITE, data: new Uint8Array(entries.length * entrySize), align: 8, entsize: entrySize, link: '.dynstr' })
    : undefined;
  for (const s of spec.sections ?? []) {
    if (((s.flags ?? 0) & SHF.ALLOC) !== 0 && ((s.flags ?? 0) & SHF.WRITE) !== 0) {
      piece({ name: s.name, type: s.type ?? SHT.PROGBITS, flags: s.flags ?? 0, data: s.data, align: 16, entsize: 0 });
    }
  }
  for (const s of spec.sections ?? []) {
    if (((s.flags ?? 0) & SHF.ALLOC) === 0) piece({ name: s.name, type: s.type ?? SHT.PROGBITS, flags: s.flags ?? 0, data: s.data, align: 1, entsize: 0 });
  }
  if (spec.symbols) {
    const strtab = new Strings();
    const syms = w();
    writeSymbol(syms, is64, 0, 0n, 0n, 0, 0);
    for (const s of spec.symbols) writeSymbol(syms, is64, strtab.add(s.name), BigInt(s.value), BigInt(s.size ?? 0), 0x12, s.defined === false ? 0 : SHN_ABS);
    piece({ name: '.symtab', type: SHT.SYMTAB, flags: 0, data: syms.done(), align: 8, entsize: is64 ? 24 : 16, link: '.strtab', info: 1 });
    piece({ name: '.strtab', type: SHT.STRTAB, flags: 0, data: strtab.bytes(), align: 1, entsize: 0 });
  }
  const shstrtab = new Strings();
  const withShstrtab = !spec.omitSectionHeaders;
  const shstrPiece = withShstrtab ? piece({ name: '.shstrtab', type: SHT.STRTAB, flags: 0, data: new Uint8Array(0), align: 1, entsize: 0 }) : undefined;
  const shName = new Map<Piece, number>();
  for (const p of pieces) shName.set(p, shstrtab.add(p.name));
  if (shstrPiece) shstrPiece.data = shstrtab.bytes();

  // Program headers: which ones exist decides the table size, so decide first.
  const text = pieces.filter((p) => (p.flags & SHF.ALLOC) !== 0 && (p.flags & SHF.WRITE) === 0);
  const data = pieces.filter((p) => (p.flags & SHF.ALLOC) !== 0 && (p.flags & SHF.WRITE) !== 0);
  const rest = pieces.filter((p) => (p.flags & SHF.ALLOC) === 0);
  const withPhdrs = !(spec.omitProgramHeaders ?? type === ET.REL);
  const phdrKinds: string[] = [];
  if (withPhdrs) {
    if (spec.interpreter !== undefined) phdrKinds.push('interp');
    phdrKinds.push('text');
    if (data.length > 0) phdrKinds.push('data');
    if (dynamicPiece) phdrKinds.push('dynamic');
    if (spec.notes && spec.notes.length > 0) phdrKinds.push('note');
  }
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const shentsize = is64 ? 64 : 40;
  const phoff = phdrKinds.length > 0 ? ehsize : 0;
  let cursor = ehsize + phdrKinds.length * phentsize;
  const place = (p: Piece, shift: bigint): void => {
    cursor = Math.ceil(cursor / p.align) * p.align;
    p.offset = cursor;
    p.addr = (p.flags & SHF.ALLOC) !== 0 ? base + shift + BigInt(cursor) : 0n;
    cursor += p.data.length;
  };
  for (const p of text) place(p, 0n);
  const textEnd = cursor;
  cursor = Math.ceil(cursor / 16) * 16;
  const dataStart = cursor;
  for (const p of data) place(p, DATA_SHIFT);
  const dataEnd = cursor;
  for (const p of rest) place(p, 0n);
  cursor = Math.ceil(cursor / 8) * 8;
  const sectionCount = spec.omitSectionHeaders ? 0 : pieces.length + 1;
  const shoff = sectionCount > 0 ? cursor : 0;
  const total = cursor + sectionCount * shentsize;

  const byName = new Map(pieces.map((p) => [p.name, p]));
  const sectionIndex = new Map(pieces.map((p, i) => [p.name, i + 1]));
  if (dynamicPiece) {
    const d = w();
    for (const [tag, value] of entries) {
      let v: bigint;
      if (typeof value === 'bigint') v = value;
      else {
        const target = byName.get(value.slice(1));
        v = value.startsWith('@') ? (target?.addr ?? 0n) : BigInt(target?.data.length ?? 0);
      }
      d.word(tag).word(v);
    }
    dynamicPiece.data = d.done();
  }

  const out = new Uint8Array(total);
  const header = w();
  header.bytes(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1, spec.osabi ?? 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  header.u16(type).u16(spec.machine ?? 62).u32(1).word(base + 0x1000n).word(phoff).word(shoff).u32(spec.flags ?? 0);
  const ext = spec.extendedNumbering === true;
  const shstrndx = shstrPiece ? (sectionIndex.get('.shstrtab') ?? 0) : 0;
  header.u16(ehsize).u16(phentsize).u16(ext && phdrKinds.length > 0 ? 0xffff : phdrKinds.length);
  header.u16(shentsize).u16(ext ? 0 : sectionCount).u16(ext ? 0xffff : shstrndx);
  out.set(header.done(), 0);

  const ph = w();
  for (const kind of phdrKinds) {
    const interp = byName.get('.interp');
    const note = byName.get('.note');
    switch (kind) {
      case 'interp':
        writePhdr(ph, is64, PT.INTERP, 4, interp?.offset ?? 0, interp?.addr ?? 0n, interp?.data.length ?? 0, 1n);
        break;
      case 'text':
        writePhdr(ph, is64, PT.LOAD, 5, 0, base, textEnd, 0x1000n);
        break;
      case 'data':
        writePhdr(ph, is64, PT.LOAD, 6, dataStart, base + DATA_SHIFT + BigInt(dataStart), dataEnd - dataStart, 0x1000n);
        break;
      case 'dynamic':
        writePhdr(ph, is64, PT.DYNAMIC, 6, dynamicPiece?.offset ?? 0, dynamicPiece?.addr ?? 0n, dynamicPiece?.data.length ?? 0, 8n);
        break;
      case 'note':
        writePhdr(ph, is64, PT.NOTE, 4, note?.offset ?? 0, note?.addr ?? 0n, note?.data.length ?? 0, 4n);
        break;
    }
  }
  out.set(ph.done(), ehsize);
  for (const p of pieces) out.set(p.data, p.offset);

  if (sectionCount > 0) {
    const sh = w();
    // Section 0 carries the extended counts when asked to.
    writeShdr(sh, 0, 0, 0, 0n, 0, ext ? sectionCount : 0, ext ? shstrndx : 0, ext ? phdrKinds.length : 0, 0, 0);
    for (const p of pieces) {
      const link = p.link ? (sectionIndex.get(p.link) ?? 0) : 0;
      writeShdr(sh, shName.get(p) ?? 0, p.type, p.flags, p.addr, p.offset, p.data.length, link, p.info ?? 0, p.align, p.entsize);
    }
    out.set(sh.done(), shoff);
  }

  const ranges = new Map<string, readonly [number, number]>();
  ranges.set('header', [0, ehsize]);
  if (phdrKinds.length > 0) ranges.set('phdrs', [phoff, phoff + phdrKinds.length * phentsize]);
  if (sectionCount > 0) ranges.set('shdrs', [shoff, shoff + sectionCount * shentsize]);
  for (const p of pieces) ranges.set(p.name, [p.offset, p.offset + p.data.length]);
  const hot: [number, number][] = [];
  for (const name of ['header', 'phdrs', 'shdrs', '.dynamic', '.gnu.version_r', '.gnu.version_d', '.note', '.interp']) {
    const r = ranges.get(name);
    if (r && r[1] > r[0]) hot.push([r[0], r[1]]);
  }
  return { bytes: out, ranges, hot, sectionIndex };
}
