/**
 * The byte-level half of the test ELF writer (elf-builder.ts): an endian-
 * and class-aware buffer writer, string tables, and the fixed-layout
 * records (symbols, program and section headers) in both classes.
 */

/** Endian- and class-aware little writer over a growable buffer. */
export class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;
  constructor(
    readonly le: boolean,
    readonly is64: boolean,
  ) {}
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): this {
    this.ensure(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
    return this;
  }
  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.length, v, this.le);
    this.length += 2;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0, this.le);
    this.length += 4;
    return this;
  }
  u64(v: bigint | number): this {
    this.ensure(8);
    this.view.setBigUint64(this.length, BigInt.asUintN(64, BigInt(v)), this.le);
    this.length += 8;
    return this;
  }
  /** A class-sized word. */
  word(v: bigint | number): this {
    return this.is64 ? this.u64(v) : this.u32(Number(BigInt.asUintN(32, BigInt(v))));
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  align(n: number): this {
    while (this.length % n !== 0) this.u8(0);
    return this;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** A string table under construction; index 0 is the empty string. */
export class Strings {
  private readonly parts: Uint8Array[] = [new Uint8Array(1)];
  private readonly index = new Map<string, number>();
  private size = 1;
  add(s: string): number {
    if (s === '') return 0;
    const known = this.index.get(s);
    if (known !== undefined) return known;
    const bytes = new TextEncoder().encode(s + '\0');
    const at = this.size;
    this.parts.push(bytes);
    this.index.set(s, at);
    this.size += bytes.length;
    return at;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** The SysV ELF hash (vn/vd hashes); readers do not check it, readelf prints it. */
export function elfHash(name: string): number {
  let h = 0;
  for (const c of new TextEncoder().encode(name)) {
    h = ((h << 4) + c) >>> 0;
    const g = h & 0xf0000000;
    if (g !== 0) h ^= g >>> 24;
    h = (h & ~g) >>> 0;
  }
  return h >>> 0;
}

export function writeSymbol(w: Writer, is64: boolean, name: number, value: bigint, size: bigint, info: number, shndx: number): void {
  if (is64) w.u32(name).u8(info).u8(0).u16(shndx).u64(value).u64(size);
  else w.u32(name).u32(Number(value)).u32(Number(size)).u8(info).u8(0).u16(shndx);
}

export function writePhdr(w: Writer, is64: boolean, type: number, flags: number, offset: number, vaddr: bigint, size: number, align: bigint): void {
  if (is64) w.u32(type).u32(flags).u64(offset).u64(vaddr).u64(vaddr).u64(size).u64(size).u64(align);
  else w.u32(type).u32(offset).u32(Number(vaddr)).u32(Number(vaddr)).u32(size).u32(size).u32(flags).u32(Number(align));
}

export function writeShdr(
  w: Writer,
  name: number,
  type: number,
  flags: number,
  addr: bigint,
  offset: number,
  size: number,
  link: number,
  info: number,
  align: number,
  entsize: number,
): void {
  w.u32(name).u32(type).word(flags).word(addr).word(offset).word(size).u32(link).u32(info).word(align).word(entsize);
}
