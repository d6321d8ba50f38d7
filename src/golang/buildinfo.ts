import type { ExecutableLayout } from '../binary/layout.js';
import { decodeUtf8 } from '../io/bytes.js';
import { readAt, readGoStringAt } from './address.js';

/**
 * The build info blob the Go linker leaves in Go binaries: what
 * `go version` and debug/buildinfo read. Follows debug/buildinfo's
 * rules exactly (where the blob may sit, its header, both string formats and
 * the modinfo sentinels), so a binary Go calls "not a Go executable" is one
 * we return undefined for too.
 */
export interface RawBuildInfo {
  /** "go1.23.5", "devel go1.24-...": never empty. */
  readonly version: string;
  /** modinfo without its 16-byte sentinels; "" for binaries built outside module mode. */
  readonly modinfo: string;
}

const MAGIC = new Uint8Array([0xff, 0x20, 0x47, 0x6f, 0x20, 0x62, 0x75, 0x69, 0x6c, 0x64, 0x69, 0x6e, 0x66, 0x3a]); // "\xff Go buildinf:"
const HEADER_SIZE = 32;
const ALIGN = 16;
/** debug/buildinfo reads the data area in 1 MiB pieces; so do we, to hold memory flat on huge segments. */
const SEARCH_CHUNK = 1 << 20;
const MAX_VARINT_BYTES = 10;

const FLAG_BIG_ENDIAN = 0x1;
const FLAG_INLINE_STRINGS = 0x2;

/** PE section characteristics: initialized data, readable, writable; alignment bits ignored (debug/buildinfo). */
const PE_DATA_CHARACTERISTICS = 0xc0000040;
const PE_ALIGN_32_BYTES = 0x600000;
/** Mach-O VM_PROT_READ|VM_PROT_WRITE as both maxprot and initprot, as LoadRegion.rawFlags packs them. */
const MACHO_RW_RW = (3 << 8) | 3;

/** The area (virtual address and size) where the blob must be: a dedicated section, else the first writable data. */
export function buildInfoArea(layout: ExecutableLayout): { vaddr: bigint; size: bigint } | undefined {
  switch (layout.format) {
    case 'elf': {
      const section = layout.sections.find((s) => s.name === '.go.buildinfo');
      if (section) return { vaddr: section.vaddr, size: section.memSize };
      const region = layout.regions.find((r) => r.writable && !r.executable);
      return region && { vaddr: region.vaddr, size: region.memSize };
    }
    case 'macho': {
      const section = layout.sections.find((s) => s.name === '__go_buildinfo');
      if (section) return { vaddr: section.vaddr, size: section.memSize };
      const region = layout.regions.find((r) => r.vaddr !== 0n && r.fileSize !== 0 && r.rawFlags === MACHO_RW_RW && r.name !== '__PAGEZERO');
      return region && { vaddr: region.vaddr, size: region.memSize };
    }
    case 'pe': {
      const section = layout.sections.find(
        (s) => s.fileSize !== 0 && ((s.rawFlags & ~PE_ALIGN_32_BYTES) >>> 0) === PE_DATA_CHARACTERISTICS,
      );
      return section && { vaddr: section.vaddr, size: section.memSize };
    }
  }
}

/** The 16-byte aligned virtual address of the magic in [start, start+size), as debug/buildinfo searches. */
async function searchMagic(layout: ExecutableLayout, start: bigint, size: bigint): Promise<bigint | undefined> {
  const end = start + size;
  let at = (start + BigInt(ALIGN - 1)) & ~BigInt(ALIGN - 1);
  // The file holds at most source.size bytes of any area: a hostile memSize cannot make us read more.
  let budget = layout.source.size;
  while (at < end && budget > 0) {
    const remaining = end - at;
    const chunkSize = remaining < BigInt(SEARCH_CHUNK) ? Number(remaining) : SEARCH_CHUNK;
    const data = await readAt(layout, at, Math.min(chunkSize, budget));
    if (!data) return undefined;
    budget -= data.length;
    // A chunk's first byte (.go.buildinfo's, for the first) is where the magic nearly always is: looked
    // at before Buffer's search, whose JavaScript a run that needs no search would compile for nothing.
    if (holdsMagicAt(data, 0)) return remaining < BigInt(HEADER_SIZE) ? undefined : at;
    const buffer = Buffer.from(data.buffer, data.byteOffset, data.length);
    let from = 0;
    while (from < data.length) {
      const i = buffer.indexOf(MAGIC, from);
      if (i < 0) break;
      if (remaining - BigInt(i) < BigInt(HEADER_SIZE)) return undefined;
      if (i % ALIGN === 0) return at + BigInt(i);
      from = (i + ALIGN - 1) & ~(ALIGN - 1);
    }
    at += BigInt(chunkSize);
  }
  return undefined;
}

/** Whether `data` holds MAGIC at `at`. */
function holdsMagicAt(data: Uint8Array, at: number): boolean {
  if (at + MAGIC.length > data.length) return false;
  for (let k = 0; k < MAGIC.length; k++) if (data[at + k] !== MAGIC[k]) return false;
  return true;
}

/** binary.Uvarint: the value and how many bytes it took, or undefined when truncated or over 64 bits. */
export function decodeUvarint(bytes: Uint8Array): { value: bigint; length: number } | undefined {
  let value = 0n;
  let shift = 0n;
  for (let i = 0; i < bytes.length; i++) {
    if (i === MAX_VARINT_BYTES) return undefined;
    const b = bytes[i] as number;
    if (b < 0x80) {
      if (i === MAX_VARINT_BYTES - 1 && b > 1) return undefined;
      return { value: value | (BigInt(b) << shift), length: i + 1 };
    }
    value |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  }
  return undefined;
}

/** A uvarint-prefixed string at `va` (Go 1.18+ inline format), with the address after it. */
async function decodeInlineString(layout: ExecutableLayout, va: bigint): Promise<{ bytes: Uint8Array; next: bigint } | undefined> {
  const prefix = await readAt(layout, va, MAX_VARINT_BYTES);
  if (!prefix) return undefined;
  const decoded = decodeUvarint(prefix);
  if (!decoded) return undefined;
  const start = va + BigInt(decoded.length);
  if (decoded.value === 0n) return { bytes: new Uint8Array(0), next: start };
  // The string must lie in the file: a length beyond its size is corrupt, never an allocation.
  if (decoded.value > BigInt(layout.source.size)) return undefined;
  const length = Number(decoded.value);
  const data = await readAt(layout, start, length);
  if (!data || data.length < length) return undefined;
  return { bytes: data, next: start + decoded.value };
}

const EMPTY = new Uint8Array(0);

/**
 * The Go version and modinfo recorded by the linker, or undefined when the
 * binary has no (readable) build info, exactly when debug/buildinfo says
 * "not a Go executable". Addresses the file does not back read as nothing,
 * so corrupt pointers and lengths end the same way instead of throwing.
 */
export async function readBuildInfo(layout: ExecutableLayout): Promise<RawBuildInfo | undefined> {
  const area = buildInfoArea(layout);
  if (!area || area.size === 0n) return undefined;
  const at = await searchMagic(layout, area.vaddr, area.size);
  if (at === undefined) return undefined;
  const header = await readAt(layout, at, HEADER_SIZE);
  if (!header || header.length < HEADER_SIZE) return undefined;

  const ptrSizeByte = header[14] as number;
  const flags = header[15] as number;
  let version: Uint8Array;
  let modinfo: Uint8Array;
  if ((flags & FLAG_INLINE_STRINGS) !== 0) {
    const v = await decodeInlineString(layout, at + BigInt(HEADER_SIZE));
    if (!v) return undefined;
    const m = await decodeInlineString(layout, v.next);
    if (!m) return undefined;
    version = v.bytes;
    modinfo = m.bytes;
  } else {
    if (ptrSizeByte !== 4 && ptrSizeByte !== 8) return undefined;
    const littleEndian = (flags & FLAG_BIG_ENDIAN) === 0;
    const view = new DataView(header.buffer, header.byteOffset, header.length);
    const pointer = (o: number): bigint =>
      ptrSizeByte === 8 ? view.getBigUint64(o, littleEndian) : BigInt(view.getUint32(o, littleEndian));
    version = await readGoStringAt(layout, pointer(16), ptrSizeByte, littleEndian);
    modinfo = await readGoStringAt(layout, pointer(16 + ptrSizeByte), ptrSizeByte, littleEndian);
  }
  if (version.length === 0) return undefined;
  return { version: decodeUtf8(version), modinfo: decodeUtf8(stripSentinels(modinfo)) };
}

/**
 * The go command frames modinfo between two 16-byte sentinels (which are
 * not text); the content counts only when the frame is intact, i.e. the
 * byte before the end sentinel is the last line's newline.
 */
export function stripSentinels(framed: Uint8Array): Uint8Array {
  if (framed.length >= 33 && framed[framed.length - 17] === 0x0a) return framed.subarray(16, framed.length - 16);
  return EMPTY;
}
