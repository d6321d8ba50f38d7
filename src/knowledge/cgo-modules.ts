/**
 * Go modules (or packages) known to call C through cgo, and the pure-Go
 * modules that do the same job. A binary that links one of them needs libc
 * (and usually the C library the module wraps) at run time; swapping in a
 * replacement is what makes `CGO_ENABLED=0` and an empty image possible.
 * Entries with no replacements have no pure-Go route: link statically
 * against musl or ship a base image with the C libraries.
 *
 * Facts from shared/reference/go-binaries.md section 5, each entry checked
 * against the module's source (stored copies of its public repository):
 * see `checked`.
 */
export interface CgoModule {
  /** Module path, or the package path when only one package of a module uses cgo (gopacket/pcap). */
  readonly module: string;
  /** Pure-Go modules (or standard packages) that replace it, best known first; empty when none exists. */
  readonly replacements: readonly string[];
  /** What the module wraps, and anything to know before swapping. */
  readonly note: string;
  /**
   * What a look at the source showed: null when no copy could be checked.
   */
  readonly checked: CgoCheck | null;
}

/** What the module's source, and its replacements' sources, were seen to hold. */
export interface CgoCheck {
  /** `owner/repo:path/file.go`, a file of the module that has `import "C"`. */
  readonly cgoFile?: string;
  /**
   * True when every replacement's imported package was seen to have no
   * `import "C"`; false when one has; absent when not all could be checked
   * (or there are no replacements).
   */
  readonly replacementsPureGo?: boolean;
  /** Build tags, cgo-only variants, or what could not be checked. */
  readonly note?: string;
}

export const CGO_MODULES: readonly CgoModule[] = [
  {
    module: 'github.com/mattn/go-sqlite3',
    replacements: ['modernc.org/sqlite', 'github.com/ncruces/go-sqlite3'],
    note: 'SQLite compiled from C; the replacements are a C-to-Go translation and a WebAssembly build of SQLite (run on wazero in older releases, translated to Go by wasm2go in newer ones); with CGO_ENABLED=0 go-sqlite3 still builds, as a stub that fails at run time',
    checked: { cgoFile: 'mattn/go-sqlite3:sqlite3.go', replacementsPureGo: true, note: 'sqlite3.go is //go:build cgo; static_mock.go (//go:build !cgo) is the stub. modernc.org/sqlite (modernc-org/sqlite mirror) and ncruces/go-sqlite3 have no import "C"; their generated SQLite files (modernc lib/sqlite_*.go, ncruces/go-sqlite3-wasm sqlite3.go) are over 4 MiB and were not in the stored copies' },
  },
  {
    module: 'github.com/confluentinc/confluent-kafka-go',
    replacements: ['github.com/segmentio/kafka-go', 'github.com/twmb/franz-go'],
    note: 'wraps librdkafka (current module path .../confluent-kafka-go/v2)',
    checked: { cgoFile: 'confluentinc/confluent-kafka-go:kafka/kafka.go', replacementsPureGo: true },
  },
  {
    module: 'github.com/google/gopacket/pcap',
    replacements: ['github.com/google/gopacket/pcapgo'],
    note: 'wraps libpcap; pcapgo reads and writes capture files and captures on Linux via AF_PACKET',
    checked: { cgoFile: 'google/gopacket:pcap/pcap_unix.go', replacementsPureGo: true, note: 'pcap_unix.go is !windows; on Windows pcap loads wpcap.dll through syscall. pcapgo capture.go is Linux-only' },
  },
  {
    module: 'github.com/google/gopacket/afpacket',
    replacements: ['github.com/gopacket/gopacket/afpacket', 'github.com/google/gopacket/pcapgo'],
    note: 'Linux AF_PACKET (TPACKET) capture through cgo for the kernel headers; the gopacket/gopacket fork\'s afpacket is pure Go',
    checked: { cgoFile: 'google/gopacket:afpacket/afpacket.go', replacementsPureGo: true, note: 'added after checking: afpacket of google/gopacket has import "C"; gopacket/gopacket afpacket has none' },
  },
  {
    module: 'github.com/google/gopacket/pfring',
    replacements: [],
    note: 'wraps the PF_RING library',
    checked: { cgoFile: 'google/gopacket:pfring/pfring.go', note: 'added after checking' },
  },
  {
    module: 'github.com/gopacket/gopacket/pcap',
    replacements: ['github.com/gopacket/gopacket/pcapgo'],
    note: 'wraps libpcap (community fork of google/gopacket)',
    checked: { cgoFile: 'gopacket/gopacket:pcap/pcap_unix.go', replacementsPureGo: true },
  },
  {
    module: 'github.com/gopacket/gopacket/pfring',
    replacements: [],
    note: 'wraps the PF_RING library (community fork of google/gopacket)',
    checked: { cgoFile: 'gopacket/gopacket:pfring/pfring.go', note: 'added after checking' },
  },
  {
    module: 'github.com/linxGnu/grocksdb',
    replacements: ['github.com/cockroachdb/pebble', 'github.com/dgraph-io/badger/v4'],
    note: 'wraps RocksDB; the replacements use their own on-disk formats',
    checked: { cgoFile: 'linxGnu/grocksdb:db.go', replacementsPureGo: true, note: 'pebble has cgo only in internal/manual/manual_cgo.go, used when cgo is on; manual_nocgo.go (//go:build !cgo) replaces it, so it builds with CGO_ENABLED=0. badger/v4 has no import "C"' },
  },
  {
    module: 'github.com/tecbot/gorocksdb',
    replacements: ['github.com/cockroachdb/pebble', 'github.com/dgraph-io/badger/v4'],
    note: 'wraps RocksDB; the replacements use their own on-disk formats',
    checked: { cgoFile: 'tecbot/gorocksdb:db.go', replacementsPureGo: true, note: 'pebble: cgo only in its allocator, with a !cgo variant (see grocksdb)' },
  },
  {
    module: 'github.com/jmhodges/levigo',
    replacements: ['github.com/syndtr/goleveldb'],
    note: 'wraps LevelDB',
    checked: { cgoFile: 'jmhodges/levigo:db.go', replacementsPureGo: true },
  },
  {
    module: 'github.com/libgit2/git2go',
    replacements: ['github.com/go-git/go-git/v5'],
    note: 'wraps libgit2',
    checked: { cgoFile: 'libgit2/git2go:git.go', replacementsPureGo: true, note: 'go-git checked at tag v5.19.2 (module github.com/go-git/go-git/v5); its default branch is now /v6, also pure Go' },
  },
  {
    module: 'github.com/godror/godror',
    replacements: ['github.com/sijms/go-ora/v2'],
    note: 'Oracle client through ODPI-C and the Oracle Instant Client',
    checked: { cgoFile: 'godror/godror:drv.go', replacementsPureGo: true, note: 'go-ora v2 lives in the v2/ folder of sijms/go-ora; v2/converters/string_conversion_new.go was not in the stored copy' },
  },
  {
    module: 'github.com/mattn/go-oci8',
    replacements: ['github.com/sijms/go-ora/v2'],
    note: 'Oracle client through OCI',
    checked: { cgoFile: 'mattn/go-oci8:oci8.go', replacementsPureGo: true },
  },
  {
    module: 'github.com/h2non/bimg',
    replacements: ['github.com/disintegration/imaging'],
    note: 'wraps libvips; the replacement is slower and handles fewer formats',
    checked: { cgoFile: 'h2non/bimg:vips.go', replacementsPureGo: true },
  },
  {
    module: 'github.com/davidbyttow/govips',
    replacements: ['github.com/disintegration/imaging'],
    note: 'wraps libvips; the replacement is slower and handles fewer formats (current module path .../govips/v2)',
    checked: { cgoFile: 'davidbyttow/govips:vips/govips.go', replacementsPureGo: true },
  },
  {
    module: 'github.com/gographics/imagick',
    replacements: ['github.com/disintegration/imaging'],
    note: 'wraps ImageMagick (pre-module import path; tags from v2.6 declare gopkg.in/gographics/imagick.v2)',
    checked: { cgoFile: 'gographics/imagick:imagick/imagick.go', replacementsPureGo: true },
  },
  {
    module: 'gopkg.in/gographics/imagick.v2',
    replacements: ['github.com/disintegration/imaging'],
    note: 'wraps ImageMagick',
    checked: { cgoFile: 'gographics/imagick:imagick/imagick.go', replacementsPureGo: true, note: 'master branch declares this module' },
  },
  {
    module: 'gopkg.in/gographics/imagick.v3',
    replacements: ['github.com/disintegration/imaging'],
    note: 'wraps ImageMagick',
    checked: { cgoFile: 'gographics/imagick:imagick/imagick.go', replacementsPureGo: true, note: 'file as on the im-7 branch, which declares this module' },
  },
  {
    module: 'github.com/DataDog/zstd',
    replacements: ['github.com/klauspost/compress/zstd'],
    note: 'wraps the zstd C library',
    checked: { cgoFile: 'DataDog/zstd:zstd.go', replacementsPureGo: true },
  },
  {
    module: 'github.com/valyala/gozstd',
    replacements: ['github.com/klauspost/compress/zstd'],
    note: 'wraps the zstd C library',
    checked: { cgoFile: 'valyala/gozstd:gozstd.go', replacementsPureGo: true },
  },
  {
    module: 'github.com/google/brotli/go/cbrotli',
    replacements: ['github.com/andybalholm/brotli'],
    note: 'wraps the brotli C library',
    checked: { cgoFile: 'google/brotli:go/cbrotli/reader.go', replacementsPureGo: true },
  },
  {
    module: 'github.com/seccomp/libseccomp-golang',
    replacements: ['github.com/elastic/go-seccomp-bpf'],
    note: 'wraps libseccomp',
    checked: { cgoFile: 'seccomp/libseccomp-golang:seccomp.go', replacementsPureGo: true, note: 'go-seccomp-bpf has import "C" only in arch/defs_arches_linux.go, a //go:build ignore generator' },
  },
  {
    module: 'github.com/pebbe/zmq4',
    replacements: ['github.com/go-zeromq/zmq4'],
    note: 'wraps libzmq',
    checked: { cgoFile: 'pebbe/zmq4:zmq4.go', replacementsPureGo: true },
  },
  {
    module: 'libvirt.org/go/libvirt',
    replacements: ['github.com/digitalocean/go-libvirt'],
    note: 'wraps libvirt; the replacement speaks its RPC protocol',
    checked: { cgoFile: 'libvirt/libvirt-go-module:connect.go', replacementsPureGo: true },
  },
  {
    module: 'github.com/libvirt/libvirt-go',
    replacements: ['github.com/digitalocean/go-libvirt'],
    note: 'wraps libvirt (moved to libvirt.org/go/libvirt)',
    checked: { cgoFile: 'libvirt/libvirt-go:connect.go', replacementsPureGo: true },
  },
  {
    module: 'libvirt.org/libvirt-go',
    replacements: ['github.com/digitalocean/go-libvirt'],
    note: 'wraps libvirt: the vanity path of github.com/libvirt/libvirt-go (moved to libvirt.org/go/libvirt)',
    checked: { cgoFile: 'libvirt/libvirt-go:connect.go', replacementsPureGo: true, note: 'added after checking: the repository\'s README documents this path' },
  },
  {
    module: 'github.com/aquasecurity/libbpfgo',
    replacements: ['github.com/cilium/ebpf'],
    note: 'wraps libbpf',
    checked: { cgoFile: 'aquasecurity/libbpfgo:libbpfgo.go', replacementsPureGo: true },
  },
  {
    module: 'github.com/iovisor/gobpf',
    replacements: ['github.com/cilium/ebpf'],
    note: 'wraps BCC and libbpf',
    checked: { cgoFile: 'iovisor/gobpf:bcc/module.go', replacementsPureGo: true, note: 'both its bcc and elf packages use cgo' },
  },
  {
    module: 'github.com/wasmerio/wasmer-go',
    replacements: ['github.com/tetratelabs/wazero'],
    note: 'wraps the Wasmer runtime',
    checked: { cgoFile: 'wasmerio/wasmer-go:wasmer/cgo.go', replacementsPureGo: true, note: 'wazero has import "C" only in an example\'s testdata and a fuzz test module' },
  },
  {
    module: 'github.com/bytecodealliance/wasmtime-go',
    replacements: ['github.com/tetratelabs/wazero'],
    note: 'wraps the Wasmtime runtime (module path carries a major version, e.g. .../wasmtime-go/v44)',
    checked: { cgoFile: 'bytecodealliance/wasmtime-go:ffi.go', replacementsPureGo: true },
  },
  {
    module: 'rogchap.com/v8go',
    replacements: ['github.com/dop251/goja'],
    note: 'embeds V8; goja is an ECMAScript interpreter in Go (slower, no JIT)',
    checked: { cgoFile: 'rogchap/v8go:v8go.go', replacementsPureGo: true },
  },
  {
    module: 'github.com/aarzilli/golua',
    replacements: ['github.com/yuin/gopher-lua'],
    note: 'wraps the Lua C library',
    checked: { cgoFile: 'aarzilli/golua:lua/lua.go', replacementsPureGo: true },
  },
  {
    module: 'github.com/spacemonkeygo/openssl',
    replacements: ['crypto/tls'],
    note: 'wraps OpenSSL; the standard library covers TLS',
    checked: { cgoFile: 'spacemonkeygo/openssl:ssl.go', note: 'crypto/tls is a standard package, not checked in the store' },
  },
  {
    module: 'github.com/ceph/go-ceph',
    replacements: [],
    note: 'wraps librados and libcephfs: no pure-Go client',
    checked: { cgoFile: 'ceph/go-ceph:rados/rados.go' },
  },
  {
    module: 'github.com/msteinert/pam',
    replacements: [],
    note: 'wraps libpam, which loads its modules at run time (current module path .../pam/v2)',
    checked: { cgoFile: 'msteinert/pam:transaction.go' },
  },
  {
    module: 'github.com/miekg/pkcs11',
    replacements: [],
    note: 'loads PKCS#11 modules (.so) at run time',
    checked: { cgoFile: 'miekg/pkcs11:pkcs11.go' },
  },
  {
    module: 'github.com/marcboeker/go-duckdb',
    replacements: [],
    note: 'embeds DuckDB (C++); deprecated, moved to github.com/duckdb/duckdb-go',
    checked: { cgoFile: 'marcboeker/go-duckdb:data_chunk.go' },
  },
  {
    module: 'github.com/duckdb/duckdb-go',
    replacements: [],
    note: 'embeds DuckDB (C++) through github.com/duckdb/duckdb-go-bindings; successor of github.com/marcboeker/go-duckdb',
    checked: { cgoFile: 'duckdb/duckdb-go:data_chunk.go', note: 'added after checking' },
  },
  {
    module: 'github.com/duckdb/duckdb-go-bindings',
    replacements: [],
    note: 'cgo bindings to the DuckDB C API, with prebuilt static libraries per platform',
    checked: { cgoFile: 'duckdb/duckdb-go-bindings:cgo.go', note: 'added after checking' },
  },
  {
    module: 'gocv.io/x/gocv',
    replacements: [],
    note: 'wraps OpenCV (C++)',
    checked: { cgoFile: 'hybridgroup/gocv:core.go' },
  },
  {
    module: 'github.com/go-gl/glfw',
    replacements: [],
    note: 'wraps GLFW and the system OpenGL libraries',
    checked: { cgoFile: 'go-gl/glfw:v3.3/glfw/glfw.go', note: 'v3.3/glfw and v3.4/glfw are modules of their own under this path' },
  },
  {
    module: 'github.com/NVIDIA/go-nvml',
    replacements: [],
    note: 'loads libnvidia-ml.so from the host driver at run time',
    checked: { cgoFile: 'NVIDIA/go-nvml:pkg/nvml/nvml.go' },
  },
  {
    module: 'github.com/golang-fips/openssl',
    replacements: [],
    note: 'FIPS crypto through the system OpenSSL, loaded at run time (current module path .../openssl/v2)',
    checked: { cgoFile: 'golang-fips/openssl:openssl.go', note: 'openssl.go is //go:build !cmd_go_bootstrap' },
  },
];

/** True when `path` is `prefix` or lies under it. */
function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * The entry for the module holding `path` (a module or package path): the
 * longest entry path that is `path` or a parent of it, so subpackages and
 * major-version suffixes (`.../v2/kafka`) find their module.
 */
export function findCgoModule(path: string): CgoModule | undefined {
  let best: CgoModule | undefined;
  for (const entry of CGO_MODULES) {
    if (isUnder(path, entry.module) && (!best || entry.module.length > best.module.length)) best = entry;
  }
  return best;
}
