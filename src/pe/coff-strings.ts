import { FormatError } from '../errors.js';
import { ByteView } from '../io/bytes.js';
import { checkRange, type ByteSource } from '../io/source.js';
import { COFF_SYMBOL_SIZE } from './constants.js';

/**
 * Longest section name we decode; longer runs without NUL are cut. Real
 * long names are DWARF section names (".debug_gdb_scripts"), and the cap
 * keeps 65535 hostile section headers from decoding gigabytes.
 */
const MAX_SECTION_NAME = 256;

/**
 * The COFF string table: it follows the symbol table directly and starts
 * with its own size (u32, counting those four bytes). Long section names
 * ("/4") and symbol names over eight bytes live here. It is read whole, once,
 * on first use; its size is checked against the file before that read.
 */
export class CoffStringTable {
  private loaded: Promise<ByteView> | undefined;

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
    // With no symbols, a stale pointer only matters if a long section name needs the table; load() checks it then.
    if (count > 0) checkRange(source, pointer, count * COFF_SYMBOL_SIZE, 'COFF symbol table');
    return new CoffStringTable(source, pointer + count * COFF_SYMBOL_SIZE);
  }

  private load(): Promise<ByteView> {
    this.loaded ??= (async () => {
      const name = this.source.name;
      checkRange(this.source, this.offset, 4, 'COFF string table size');
      const declared = new ByteView(await this.source.read(this.offset, 4), true, name).u32(0);
      // The size counts its own four bytes; smaller values mean an empty table.
      const size = Math.max(declared, 4);
      checkRange(this.source, this.offset, size, 'COFF string table');
      return new ByteView(await this.source.read(this.offset, size), true, `${name}: COFF string table`);
    })();
    return this.loaded;
  }

  /** The table's bytes, size word included, so offsets index it directly. */
  async bytes(): Promise<Uint8Array> {
    return (await this.load()).bytes;
  }

  /** Throws unless `index` (an offset from the table's start) lies past the size word and inside the table. */
  checkOffset(table: Uint8Array, index: number, what: string): void {
    if (index < 4 || index >= table.length) {
      throw new FormatError('malformed', `${this.source.name}: ${what} names string offset ${index} outside the ${table.length}-byte COFF string table`);
    }
  }

  /** The NUL-terminated section name at `index`. */
  async sectionName(index: number, what: string): Promise<string> {
    const table = await this.load();
    this.checkOffset(table.bytes, index, what);
    return table.cstring(index, MAX_SECTION_NAME);
  }
}
