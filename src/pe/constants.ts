/**
 * PE/COFF constants from Microsoft's PE format specification, and their
 * mapping to Go's names. Only what identification, section lookup, COFF
 * symbols and the import directory need.
 */

/** MS-DOS header: "MZ", and at 0x3c the file offset of the PE signature. */
export const DOS_MAGIC_0 = 0x4d; // 'M'
export const DOS_MAGIC_1 = 0x5a; // 'Z'
export const E_LFANEW_OFFSET = 0x3c;
export const DOS_HEADER_SIZE = 0x40;
/** "PE\0\0" read as a little-endian u32. */
export const PE_SIGNATURE = 0x00004550;
export const PE_SIGNATURE_SIZE = 4;

export const COFF_HEADER_SIZE = 20;
export const SECTION_HEADER_SIZE = 40;
export const COFF_SYMBOL_SIZE = 18;

/** Optional header magic. */
export const PE32_MAGIC = 0x10b;
export const PE32_PLUS_MAGIC = 0x20b;

/** Offsets inside the optional header that differ between PE32 and PE32+. */
export const OPTIONAL_HEADER_LAYOUT = {
  [PE32_MAGIC]: { imageBase: 28, numberOfRvaAndSizes: 92, dataDirectories: 96 },
  [PE32_PLUS_MAGIC]: { imageBase: 24, numberOfRvaAndSizes: 108, dataDirectories: 112 },
} as const;

export const DATA_DIRECTORY_SIZE = 8;
export const IMAGE_DIRECTORY_ENTRY_IMPORT = 1;
export const IMPORT_DESCRIPTOR_SIZE = 20;

/** COFF header Characteristics. */
export const IMAGE_FILE_DLL = 0x2000;

/** Section Characteristics. */
export const IMAGE_SCN_CNT_UNINITIALIZED_DATA = 0x80;
export const IMAGE_SCN_MEM_EXECUTE = 0x20000000;
export const IMAGE_SCN_MEM_READ = 0x40000000;
export const IMAGE_SCN_MEM_WRITE = 0x80000000;

/** COFF symbol SectionNumber values below 1. */
export const IMAGE_SYM_UNDEFINED = 0;
export const IMAGE_SYM_ABSOLUTE = -1;

const GO_ARCH_BY_MACHINE: ReadonlyMap<number, string> = new Map([
  [0x8664, 'amd64'], // IMAGE_FILE_MACHINE_AMD64
  [0x14c, '386'], // IMAGE_FILE_MACHINE_I386
  [0xaa64, 'arm64'], // IMAGE_FILE_MACHINE_ARM64
  [0x1c4, 'arm'], // IMAGE_FILE_MACHINE_ARMNT (Thumb-2, what Go writes)
  [0x1c0, 'arm'], // IMAGE_FILE_MACHINE_ARM
  [0x5064, 'riscv64'], // IMAGE_FILE_MACHINE_RISCV64
  [0x6264, 'loong64'], // IMAGE_FILE_MACHINE_LOONGARCH64
]);

/** Go's GOARCH for a COFF Machine value, or "unknown". */
export function goArchForMachine(machine: number): string {
  return GO_ARCH_BY_MACHINE.get(machine) ?? 'unknown';
}
