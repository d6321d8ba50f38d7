import { mapAddress, type ExecutableLayout } from '../binary/layout.js';

/**
 * Reads by virtual address, the way Go's own readers do: through the load
 * regions (or sections) that back an address with file bytes. Nothing here
 * throws for an address or length the file does not hold; the answer is
 * simply "no bytes", and callers decide what that means.
 */

const EMPTY = new Uint8Array(0);

/**
 * Up to `size` file bytes at virtual address `va`, fewer when its region
 * ends first; undefined when the address is not backed by the file.
 */
export async function readAt(layout: ExecutableLayout, va: bigint, size: number): Promise<Uint8Array | undefined> {
  const where = mapAddress(layout, va);
  if (!where || !Number.isSafeInteger(where.offset) || where.offset < 0) return undefined;
  const available = Math.min(where.available, layout.source.size - where.offset);
  if (available <= 0) return undefined;
  return layout.source.read(where.offset, Math.min(size, available));
}

/** The bytes of a Go string header {data, len} at `va`; empty when anything is unmapped, as Go does. */
export async function readGoStringAt(layout: ExecutableLayout, va: bigint, ptrSize: 4 | 8, littleEndian: boolean): Promise<Uint8Array> {
  const header = await readAt(layout, va, 2 * ptrSize);
  if (!header || header.length < 2 * ptrSize) return EMPTY;
  const view = new DataView(header.buffer, header.byteOffset, header.length);
  const word = (o: number): bigint => (ptrSize === 8 ? view.getBigUint64(o, littleEndian) : BigInt(view.getUint32(o, littleEndian)));
  const dataVa = word(0);
  const length = word(ptrSize);
  if (length === 0n || length > BigInt(layout.source.size)) return EMPTY;
  const data = await readAt(layout, dataVa, Number(length));
  if (!data || data.length < Number(length)) return EMPTY;
  return data;
}

