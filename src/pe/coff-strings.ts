import { FormatError } from '../errors.js';
import { ByteView } from '../io/bytes.js';
import { checkRange, type ByteSource } from '../io/source.js';
import { COFF_SYMBOL_SIZE } from './constants.js';

/** Longest name we decode from the string table; longer runs without NUL are cut. */
const MAX_NAME = 64 * 1024;

/**
 * The COFF string table: it follows the symbol table directly and starts
 * with its own size (u32, counting those four bytes). Long section names
 * ("/4") and symbol names over eight bytes live here. It is read whole, once,
 * on first use; its size is checked against the file before that read.
 */
export class CoffStringTable {
  private bytes: Promise<ByteView> | undefined;

  private constructor(
    private readonly source: ByteSource,
    readonly offset: number,
  ) {}

  /**
   * The table of a file whose symbol table is at `pointer` with `count`
   * entries, or undefined when there is none. A table may exist with no
   * symbols, to hold long section names.
   */
  static locate(source: ByteSource, pointer: number, count: number): CoffStringTable | undefined {
    if (pointer === 0) return undefined;
    if (count > Math.floor(source.size / COFF_SYMBOL_SIZE)) {
      throw new FormatError('truncated', `${source.name}: COFF symbol table of ${count} entries cannot fit in the file (${source.size} bytes)`);
    }
    checkRange(source, pointer, count * COFF_SYMBOL_SIZE, 'COFF symbol table');
    return new CoffStringTable(source, pointer + count * COFF_SYMBOL_SIZE);
  }

  private load(): Promise<ByteView> {
    this.bytes ??= (async () => {
      const name = this.source.name;
      checkRange(this.source, this.offset, 4, 'COFF string table size');
      const declared = new ByteView(await this.source.read(this.offset, 4), true, name).u32(0);
      // The size counts its own four bytes; smaller values mean an empty table.
      const size = Math.max(declared, 4);
      checkRange(this.source, this.offset, size, 'COFF string table');
      return new ByteView(await this.source.read(this.offset, size), true, `${name}: COFF string table`);
    })();
    return this.bytes;
  }

  /** The NUL-terminated name at `index` (an offset from the table's start, past its size word). */
  async get(index: number, what: string): Promise<string> {
    const table = await this.load();
    if (index < 4 || index >= table.length) {
      throw new FormatError('malformed', `${this.source.name}: ${what} names string offset ${index} outside the ${table.length}-byte COFF string table`);
    }
    return table.cstring(index, MAX_NAME);
  }
}
