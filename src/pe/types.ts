import type { BinaryIdentity } from '../binary/identity.js';
import type { ExecutableLayout } from '../binary/layout.js';

/** The COFF file header and the optional-header fields we use. */
export interface PeHeader {
  /** File offset of the "PE\0\0" signature (e_lfanew). */
  readonly peOffset: number;
  readonly machine: number;
  readonly numberOfSections: number;
  readonly pointerToSymbolTable: number;
  readonly numberOfSymbols: number;
  readonly sizeOfOptionalHeader: number;
  readonly characteristics: number;
  /** 0x10b (PE32) or 0x20b (PE32+). */
  readonly optionalMagic: number;
  readonly imageBase: bigint;
}

/** One section header, with its long name (/123) already resolved through the COFF string table. */
export interface PeSection {
  readonly name: string;
  readonly virtualSize: number;
  readonly virtualAddress: number;
  readonly sizeOfRawData: number;
  readonly pointerToRawData: number;
  readonly characteristics: number;
}

/** The facts of one PE image. Produced by `parsePe(source)`. */
export interface PeFile {
  readonly identity: BinaryIdentity;
  readonly layout: ExecutableLayout;
  /** No COFF symbol table (PointerToSymbolTable or NumberOfSymbols is 0), as `go build -ldflags=-s` leaves it. */
  readonly stripped: boolean;
  /** DLL names from the import directory, in descriptor order. */
  readonly imports: readonly string[];
  readonly header: PeHeader;
  readonly sections: readonly PeSection[];
}
