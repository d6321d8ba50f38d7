/**
 * Builders for the Go structures the golang readers look for, written from
 * the format facts (shared/reference/go-binaries.md) so tests can construct
 * inputs whose expected results they know: build info blobs in both string
 * formats, framed modinfo, pclntab headers.
 */

export const BUILDINFO_MAGIC = new Uint8Array([0xff, 0x20, 0x47, 0x6f, 0x20, 0x62, 0x75, 0x69, 0x6c, 0x64, 0x69, 0x6e, 0x66, 0x3a]);

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Unsigned LEB128, as encoding/binary.PutUvarint writes it. */
export function uvarint(value: bigint | number): Uint8Array {
  let v = BigInt(value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return new Uint8Array(out);
}

/** Any 16 bytes serve as sentinels: readers only check the length and the newline before the end one. */
const SENTINEL_START = new Uint8Array(16).map((_, i) => 0xa0 + i);
const SENTINEL_END = new Uint8Array(16).map((_, i) => 0xf0 - i);

/** modinfo as the go command stores it: the text between two 16-byte sentinels. */
export function frameModinfo(text: string): Uint8Array {
  return concat(SENTINEL_START, utf8(text), SENTINEL_END);
}

function header(ptrSize: number, flags: number): Uint8Array {
  const h = new Uint8Array(32);
  h.set(BUILDINFO_MAGIC, 0);
  h[14] = ptrSize;
  h[15] = flags;
  return h;
}

/** A Go 1.18+ blob: header with the inline flag, then version and modinfo as uvarint-prefixed strings. */
export function inlineBlob(version: Uint8Array, modinfo: Uint8Array, ptrSize: 4 | 8 = 8, bigEndian = false): Uint8Array {
  return concat(header(ptrSize, 0x2 | (bigEndian ? 1 : 0)), uvarint(version.length), version, uvarint(modinfo.length), modinfo);
}

function word(value: bigint, ptrSize: 4 | 8, bigEndian: boolean): Uint8Array {
  const b = new Uint8Array(ptrSize);
  const view = new DataView(b.buffer);
  if (ptrSize === 8) view.setBigUint64(0, value, !bigEndian);
  else view.setUint32(0, Number(value), !bigEndian);
  return b;
}

/**
 * A pre-1.18 blob placed at virtual address `base`: header with two
 * pointers to Go string headers {data, len}, which follow it, then the
 * string bytes. Everything is in the returned area, so it maps when the area
 * is a load region at `base`.
 */
export function pointerBlob(base: bigint, version: Uint8Array, modinfo: Uint8Array, ptrSize: 4 | 8, bigEndian: boolean): Uint8Array {
  const p = BigInt(ptrSize);
  const versionHeader = base + 32n;
  const modHeader = versionHeader + 2n * p;
  const versionData = modHeader + 2n * p;
  const modData = versionData + BigInt(version.length);
  const h = header(ptrSize, bigEndian ? 1 : 0);
  h.set(word(versionHeader, ptrSize, bigEndian), 16);
  h.set(word(modHeader, ptrSize, bigEndian), 16 + ptrSize);
  return concat(
    h,
    word(versionData, ptrSize, bigEndian),
    word(BigInt(version.length), ptrSize, bigEndian),
    word(modData, ptrSize, bigEndian),
    word(BigInt(modinfo.length), ptrSize, bigEndian),
    version,
    modinfo,
  );
}

/** A Go string header {data, len} pointing at `data`. */
export function goStringHeader(data: bigint, length: number, ptrSize: 4 | 8, bigEndian: boolean): Uint8Array {
  return concat(word(data, ptrSize, bigEndian), word(BigInt(length), ptrSize, bigEndian));
}

/**
 * A pclntab header as the Go 1.16+ linkers write it (magic, pads, quantum,
 * pointer size, nfunc, nfiles, [textStart], five increasing table offsets),
 * followed by `tail` zero bytes so the offsets point inside it.
 */
export function pclntabHeader(magic: number, ptrSize: 4 | 8, bigEndian: boolean, tail = 64): Uint8Array {
  const words = magic === 0xfffffffa ? 7 : magic === 0xfffffffb ? 1 : 8;
  const headerSize = 8 + words * ptrSize;
  const out = new Uint8Array(headerSize + tail);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, !bigEndian);
  out[6] = 1;
  out[7] = ptrSize;
  const put = (i: number, v: number): void => out.set(word(BigInt(v), ptrSize, bigEndian), 8 + i * ptrSize);
  put(0, 3); // nfunc
  if (magic === 0xfffffffb) {
    // Go 1.2-1.15: the functab (2*nfunc+1 words) must fit in what follows.
    return concat(out, new Uint8Array(7 * ptrSize));
  }
  put(1, 2); // nfiles
  const first = words === 7 ? 2 : 3;
  for (let i = 0; i < 5; i++) put(first + i, headerSize + i * 8);
  return out;
}

/** A function for pclntabWithFunctions: its name, its compilation unit (1.16+), and functions inlined into it. */
export interface SyntheticFunction {
  readonly name: string;
  /** Index into the cu table; defaults to 0. */
  readonly cu?: number;
  /** Names of functions inlined into this one: in the name table (1.16+) but not in the functab. */
  readonly inlined?: readonly string[];
}

/**
 * A whole pclntab in any of the four layouts, holding `functions` in the
 * functab and, from 1.16 on, a funcname table written the way the Go linker
 * writes it: each function's name, then the names of functions inlined into
 * it that are not in the table yet. Line, file and pc tables are filler:
 * only the parts that lead to names are real.
 */
export function pclntabWithFunctions(magic: number, ptrSize: 4 | 8, bigEndian: boolean, functions: readonly SyntheticFunction[]): Uint8Array {
  const le = !bigEndian;
  const nfunc = functions.length;
  const ptrWord = (v: number): Uint8Array => word(BigInt(v), ptrSize, bigEndian);
  const u32 = (v: number): Uint8Array => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, le);
    return b;
  };
  const head = (words: number[]): Uint8Array => {
    const h = new Uint8Array(8);
    new DataView(h.buffer).setUint32(0, magic, le);
    h[6] = 1;
    h[7] = ptrSize;
    return concat(h, ...words.map(ptrWord));
  };

  if (magic === 0xfffffffb) {
    // Header, functab (2n+1 words), a uint32 filetab offset, _func records, then names; offsets from the table start.
    const functabStart = 8 + ptrSize;
    const functabSize = (2 * nfunc + 1) * ptrSize + 4;
    const funcSize = ptrSize + 8 * 4;
    const funcsStart = functabStart + functabSize;
    const namesStart = funcsStart + nfunc * funcSize;
    const nameOffsets: number[] = [];
    let at = namesStart;
    for (const f of functions) {
      nameOffsets.push(at);
      at += utf8(f.name).length + 1;
    }
    const functab = concat(
      ...functions.flatMap((_, i) => [ptrWord(0x401000 + i * 16), ptrWord(funcsStart + i * funcSize)]),
      ptrWord(0x401000 + nfunc * 16),
      u32(at),
    );
    const funcs = concat(...functions.map((_, i) => concat(ptrWord(0x401000 + i * 16), u32(nameOffsets[i] ?? 0), new Uint8Array(7 * 4))));
    const names = concat(...functions.map((f) => concat(utf8(f.name), new Uint8Array(1))));
    return concat(head([nfunc]), functab, funcs, names);
  }

  // Name table in the linker's walk order, each name once.
  const nameOffset = new Map<string, number>();
  const nameBytes: Uint8Array[] = [];
  let size = 0;
  const addName = (name: string): void => {
    if (nameOffset.has(name)) return;
    nameOffset.set(name, size);
    const b = concat(utf8(name), new Uint8Array(1));
    nameBytes.push(b);
    size += b.length;
  };
  for (const f of functions) {
    addName(f.name);
    for (const inl of f.inlined ?? []) addName(inl);
  }
  const funcnametab = concat(...nameBytes);
  const units = Math.max(1, ...functions.map((f) => (f.cu ?? 0) + 1));
  const cutab = new Uint8Array(units * 4);
  const filetab = utf8('main.go\0');
  const pctab = new Uint8Array(8);

  const modern = magic !== 0xfffffffa;
  const headerWords = modern ? 8 : 7;
  const funcnameOffset = 8 + headerWords * ptrSize;
  const cuOffset = funcnameOffset + funcnametab.length;
  const filetabOffset = cuOffset + cutab.length;
  const pctabOffset = filetabOffset + filetab.length;
  const pclnOffset = pctabOffset + pctab.length;
  const field = modern ? 4 : ptrSize;
  const fieldBytes = (v: number): Uint8Array => (modern ? u32(v) : ptrWord(v));
  const functabSize = (2 * nfunc + 1) * field;
  const funcSize = (modern ? 4 : ptrSize) + 10 * 4; // entry, nameOff, six fields, cuOffset, 8 bytes of tail
  const functab = concat(
    ...functions.flatMap((_, i) => [fieldBytes(i * 16), fieldBytes(functabSize + i * funcSize)]),
    fieldBytes(nfunc * 16),
  );
  const funcs = concat(
    ...functions.map((f, i) =>
      concat(
        modern ? u32(i * 16) : ptrWord(0x401000 + i * 16),
        u32(nameOffset.get(f.name) ?? 0),
        new Uint8Array(6 * 4), // args, deferreturn, pcsp, pcfile, pcln, npcdata
        u32(f.cu ?? 0), // cuOffset
        new Uint8Array(8), // startLine, funcID, flag, nfuncdata
      ),
    ),
  );
  const offsets = [funcnameOffset, cuOffset, filetabOffset, pctabOffset, pclnOffset];
  const words = modern ? [nfunc, 1, 0x401000, ...offsets] : [nfunc, 1, ...offsets];
  return concat(head(words), funcnametab, cutab, filetab, pctab, functab, funcs);
}
