/**
 * Go modules (or packages) known to call C through cgo, and the pure-Go
 * modules that do the same job. A binary that links one of them needs libc
 * (and usually the C library the module wraps) at run time; swapping in a
 * replacement is what makes `CGO_ENABLED=0` and an empty image possible.
 * Entries with no replacements have no pure-Go route: link statically
 * against musl or ship a base image with the C libraries.
 *
 * Facts from shared/reference/go-binaries.md section 5.
 */
export interface CgoModule {
  /** Module path, or the package path when only one package of a module uses cgo (gopacket/pcap). */
  readonly module: string;
  /** Pure-Go modules (or standard packages) that replace it, best known first; empty when none exists. */
  readonly replacements: readonly string[];
  /** What the module wraps, and anything to know before swapping. */
  readonly note: string;
}

export const CGO_MODULES: readonly CgoModule[] = [
  { module: 'github.com/mattn/go-sqlite3', replacements: ['modernc.org/sqlite', 'github.com/ncruces/go-sqlite3'], note: 'SQLite compiled from C; the replacements are a C-to-Go translation and a WebAssembly build of SQLite' },
  {
    module: 'github.com/confluentinc/confluent-kafka-go',
    replacements: ['github.com/segmentio/kafka-go', 'github.com/twmb/franz-go'],
    note: 'wraps librdkafka',
  },
  { module: 'github.com/google/gopacket/pcap', replacements: ['github.com/google/gopacket/pcapgo'], note: 'wraps libpcap; pcapgo reads and writes capture files and captures on Linux via AF_PACKET' },
  { module: 'github.com/gopacket/gopacket/pcap', replacements: ['github.com/gopacket/gopacket/pcapgo'], note: 'wraps libpcap (community fork of google/gopacket)' },
  { module: 'github.com/linxGnu/grocksdb', replacements: ['github.com/cockroachdb/pebble', 'github.com/dgraph-io/badger/v4'], note: 'wraps RocksDB; the replacements use their own on-disk formats' },
  { module: 'github.com/tecbot/gorocksdb', replacements: ['github.com/cockroachdb/pebble', 'github.com/dgraph-io/badger/v4'], note: 'wraps RocksDB; the replacements use their own on-disk formats' },
  { module: 'github.com/jmhodges/levigo', replacements: ['github.com/syndtr/goleveldb'], note: 'wraps LevelDB' },
  { module: 'github.com/libgit2/git2go', replacements: ['github.com/go-git/go-git/v5'], note: 'wraps libgit2' },
  { module: 'github.com/godror/godror', replacements: ['github.com/sijms/go-ora/v2'], note: 'Oracle client through ODPI-C and the Oracle Instant Client' },
  { module: 'github.com/mattn/go-oci8', replacements: ['github.com/sijms/go-ora/v2'], note: 'Oracle client through OCI' },
  { module: 'github.com/h2non/bimg', replacements: ['github.com/disintegration/imaging'], note: 'wraps libvips; the replacement is slower and handles fewer formats' },
  { module: 'github.com/davidbyttow/govips', replacements: ['github.com/disintegration/imaging'], note: 'wraps libvips; the replacement is slower and handles fewer formats' },
  { module: 'github.com/gographics/imagick', replacements: ['github.com/disintegration/imaging'], note: 'wraps ImageMagick' },
  { module: 'gopkg.in/gographics/imagick.v2', replacements: ['github.com/disintegration/imaging'], note: 'wraps ImageMagick' },
  { module: 'gopkg.in/gographics/imagick.v3', replacements: ['github.com/disintegration/imaging'], note: 'wraps ImageMagick' },
  { module: 'github.com/DataDog/zstd', replacements: ['github.com/klauspost/compress/zstd'], note: 'wraps the zstd C library' },
  { module: 'github.com/valyala/gozstd', replacements: ['github.com/klauspost/compress/zstd'], note: 'wraps the zstd C library' },
  { module: 'github.com/google/brotli/go/cbrotli', replacements: ['github.com/andybalholm/brotli'], note: 'wraps the brotli C library' },
  { module: 'github.com/seccomp/libseccomp-golang', replacements: ['github.com/elastic/go-seccomp-bpf'], note: 'wraps libseccomp' },
  { module: 'github.com/pebbe/zmq4', replacements: ['github.com/go-zeromq/zmq4'], note: 'wraps libzmq' },
  { module: 'libvirt.org/go/libvirt', replacements: ['github.com/digitalocean/go-libvirt'], note: 'wraps libvirt; the replacement speaks its RPC protocol' },
  { module: 'github.com/libvirt/libvirt-go', replacements: ['github.com/digitalocean/go-libvirt'], note: 'wraps libvirt (moved to libvirt.org/go/libvirt)' },
  { module: 'github.com/aquasecurity/libbpfgo', replacements: ['github.com/cilium/ebpf'], note: 'wraps libbpf' },
  { module: 'github.com/iovisor/gobpf', replacements: ['github.com/cilium/ebpf'], note: 'wraps BCC and libbpf' },
  { module: 'github.com/wasmerio/wasmer-go', replacements: ['github.com/tetratelabs/wazero'], note: 'wraps the Wasmer runtime' },
  { module: 'github.com/bytecodealliance/wasmtime-go', replacements: ['github.com/tetratelabs/wazero'], note: 'wraps the Wasmtime runtime' },
  { module: 'rogchap.com/v8go', replacements: ['github.com/dop251/goja'], note: 'embeds V8; goja is an ECMAScript interpreter in Go (slower, no JIT)' },
  { module: 'github.com/aarzilli/golua', replacements: ['github.com/yuin/gopher-lua'], note: 'wraps the Lua C library' },
  { module: 'github.com/spacemonkeygo/openssl', replacements: ['crypto/tls'], note: 'wraps OpenSSL; the standard library covers TLS' },
  { module: 'github.com/ceph/go-ceph', replacements: [], note: 'wraps librados and libcephfs: no pure-Go client' },
  { module: 'github.com/msteinert/pam', replacements: [], note: 'wraps libpam, which loads its modules at run time' },
  { module: 'github.com/miekg/pkcs11', replacements: [], note: 'loads PKCS#11 modules (.so) at run time' },
  { module: 'github.com/marcboeker/go-duckdb', replacements: [], note: 'embeds DuckDB (C++)' },
  { module: 'gocv.io/x/gocv', replacements: [], note: 'wraps OpenCV (C++)' },
  { module: 'github.com/go-gl/glfw', replacements: [], note: 'wraps GLFW and the system OpenGL libraries' },
  { module: 'github.com/NVIDIA/go-nvml', replacements: [], note: 'loads libnvidia-ml.so from the host driver at run time' },
  { module: 'github.com/golang-fips/openssl', replacements: [], note: 'FIPS crypto through the system OpenSSL, loaded at run time' },
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
