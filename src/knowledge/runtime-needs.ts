import type { NeedId } from '../analysis/report.js';

/**
 * What a Go program reads from the file system at run time that an empty
 * image lacks, and the code that shows it. Each rule names the functions (as
 * the pclntab spells them) whose presence shows the need in a binary, the
 * import paths and source patterns that show it in a source tree, what
 * makes the files unnecessary (data compiled in), and the files that
 * satisfy it. The logic that applies the rules is src/analysis/needs.ts.
 *
 * Function names were read from the standard library of go1.19 and go1.23
 * (src/crypto/x509/root*.go, src/time/zoneinfo*.go, src/os/user/*.go,
 * src/os/tempfile.go, src/os/exec, src/net/conf.go, src/net/nss.go) and
 * checked against binaries both toolchains built (fixtures/go/*).
 */

/**
 * How sure a need is:
 * - certain: the code that reads the files runs on the program's main path;
 * - likely: the code is there and is what the program uses it for, but an
 *   argument (an explicit directory, "UTC") may avoid the files;
 * - possible: the code is linked in but may never run (a server that links
 *   the TLS client code without making outbound calls).
 */
export type Certainty = 'certain' | 'likely' | 'possible';

export interface NeedPath {
  /** Absolute path inside the image; a trailing slash is not used, directories are named plainly. */
  readonly path: string;
  /** When set, the path is needed only if one of these functions is present (binary analysis). */
  readonly onlyWith?: readonly string[];
}

export interface RuntimeNeedRule {
  readonly id: NeedId;
  /** What the program does, for people: "verifies TLS servers against the system roots". */
  readonly what: string;
  /** Files that satisfy the need, in the order Go searches them. */
  readonly paths: readonly NeedPath[];
  /** 'any': Go stops at the first path it finds (a search list); 'all': each path is read for its own data. */
  readonly match: 'any' | 'all';
  /** Environment variables that point the program elsewhere instead. */
  readonly env: readonly string[];
  /** Functions any of which shows the need in a binary. */
  readonly functions: readonly string[];
  /** Functions that make the need certain; without one of them the need is `certainty`. */
  readonly certainWith: readonly string[];
  /** Certainty when only `functions` match. */
  readonly certainty: Certainty;
  /** Import paths any of which shows the need at package granularity (source trees); certainty then is `packageCertainty`. */
  readonly packages: readonly string[];
  readonly packageCertainty: Certainty;
  /** Source text (Go files of non-standard packages) that shows the need when imports cannot (every program imports time and os). */
  readonly sourcePatterns: readonly RegExp[];
  /** Certainty when a source pattern matches (the stronger of this and packageCertainty wins). */
  readonly sourceCertainty: Certainty;
  /** The need applies only when one of these strings is also in the program (binary bytes or source text). */
  readonly alsoMentions?: readonly string[];
  /** Data compiled into the program that replaces the files. */
  readonly embeddedBy?: {
    readonly packages: readonly string[];
    readonly functions: readonly string[];
    readonly tags: readonly string[];
  };
  /** The need exists only for Go releases before go1.<minor>; the runtime handles the missing files itself from then on. */
  readonly beforeGoMinor?: number;
  /** What to put in the image, or do instead. */
  readonly fix: string;
}

/** Where crypto/x509 looks for the system roots on Linux (src/crypto/x509/root_linux.go), first found wins. */
export const CA_BUNDLE_PATHS = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/tls/cacert.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem',
] as const;

/** Where time looks for zoneinfo on Unix (src/time/zoneinfo_unix.go; /etc/zoneinfo from go1.21). */
export const ZONEINFO_PATHS = ['/usr/share/zoneinfo', '/usr/share/lib/zoneinfo', '/usr/lib/locale/TZ', '/etc/zoneinfo'] as const;

const USER_LOOKUPS = ['os/user.Current', 'os/user.Lookup', 'os/user.LookupId'];
const GROUP_LOOKUPS = ['os/user.LookupGroup', 'os/user.LookupGroupId', 'os/user.(*User).GroupIds'];

export const RUNTIME_NEED_RULES: readonly RuntimeNeedRule[] = [
  {
    id: 'ca-certificates',
    what: 'verifies TLS servers against the system root certificates',
    paths: CA_BUNDLE_PATHS.map((path) => ({ path })),
    match: 'any',
    env: ['SSL_CERT_FILE', 'SSL_CERT_DIR'],
    // The loader behind every verification without explicit roots (src/crypto/x509/root.go, root_unix.go).
    functions: ['crypto/x509.loadSystemRoots', 'crypto/x509.initSystemRoots', 'crypto/x509.systemRootsPool'],
    // A TLS client: every client connection is made by tls.Client (net/http's Transport included);
    // SystemCertPool asks for the roots outright. A server links the loader too (tls.Conn.Handshake
    // reaches the client half) but never makes a client connection.
    certainWith: [
      'crypto/tls.Client',
      'crypto/tls.Dial',
      'crypto/tls.DialWithDialer',
      'crypto/tls.(*Dialer).DialContext',
      'crypto/tls.QUICClient',
      'crypto/x509.SystemCertPool',
    ],
    certainty: 'possible',
    // Every net/http server imports crypto/tls too: imports alone say little, client calls in the source say more.
    packages: ['crypto/tls', 'crypto/x509'],
    packageCertainty: 'possible',
    sourcePatterns: [
      /\bhttp\.(?:Get|Post|PostForm|Head|NewRequest|NewRequestWithContext)\s*\(/,
      /\bhttp\.Client\s*\{/,
      /\btls\.(?:Dial|DialWithDialer|Client)\s*\(/,
      /\bx509\.SystemCertPool\s*\(/,
    ],
    sourceCertainty: 'likely',
    embeddedBy: {
      // x509roots/fallback registers its bundle with x509.SetFallbackRoots in init;
      // breml/rootcerts replaces the system pool through a linkname.
      packages: ['golang.org/x/crypto/x509roots/fallback', 'github.com/breml/rootcerts/embedded'],
      functions: ['crypto/x509.SetFallbackRoots'],
      tags: [],
    },
    fix: 'copy a CA bundle to /etc/ssl/certs/ca-certificates.crt, or import golang.org/x/crypto/x509roots/fallback to compile roots in',
  },
  {
    id: 'tzdata',
    what: 'loads named time zones (time.LoadLocation)',
    paths: ZONEINFO_PATHS.map((path) => ({ path })),
    match: 'any',
    env: ['ZONEINFO', 'TZ'],
    functions: ['time.LoadLocation'],
    certainWith: [],
    // LoadLocation("UTC") and ("Local") read nothing.
    certainty: 'likely',
    packages: [],
    packageCertainty: 'likely',
    sourcePatterns: [/\bLoadLocation\s*\(/],
    sourceCertainty: 'likely',
    embeddedBy: {
      // time/tzdata registers the embedded database with the time package; -tags timetzdata imports it.
      packages: ['time/tzdata'],
      functions: ['time/tzdata.loadFromEmbeddedTZData', 'time.registerLoadFromEmbeddedTZData'],
      tags: ['timetzdata'],
    },
    fix: 'copy /usr/share/zoneinfo, or import _ "time/tzdata" (or build with -tags timetzdata) to compile the database in',
  },
  {
    id: 'passwd',
    what: 'looks users or groups up (os/user)',
    paths: [
      { path: '/etc/passwd', onlyWith: USER_LOOKUPS },
      { path: '/etc/group', onlyWith: GROUP_LOOKUPS },
    ],
    match: 'all',
    // user.Current falls back to $USER and $HOME when /etc/passwd has no entry (pure-Go lookups only).
    env: ['USER', 'HOME'],
    functions: [...USER_LOOKUPS, ...GROUP_LOOKUPS],
    certainWith: [],
    certainty: 'certain',
    packages: ['os/user'],
    packageCertainty: 'likely',
    sourcePatterns: [],
    sourceCertainty: 'likely',
    fix: 'write /etc/passwd and /etc/group with the user the image runs as',
  },
  {
    id: 'tmp',
    what: 'creates temporary files in the default directory ($TMPDIR, else /tmp)',
    paths: [{ path: '/tmp' }],
    match: 'all',
    env: ['TMPDIR'],
    // io/ioutil's TempFile and TempDir call these since go1.17 (often inlined, so named here too).
    functions: ['os.CreateTemp', 'os.MkdirTemp', 'os.TempDir', 'io/ioutil.TempFile', 'io/ioutil.TempDir'],
    certainWith: [],
    // An explicit directory argument avoids /tmp.
    certainty: 'likely',
    packages: [],
    packageCertainty: 'likely',
    sourcePatterns: [/\b(?:CreateTemp|MkdirTemp|TempDir|TempFile)\s*\(/],
    sourceCertainty: 'likely',
    fix: 'create /tmp with mode 1777',
  },
  {
    id: 'exec',
    what: 'starts other programs (os/exec)',
    // Which programs is only known at run time: they must be in the image, found through PATH.
    paths: [],
    match: 'all',
    env: ['PATH'],
    functions: ['os/exec.(*Cmd).Start', 'os/exec.Command', 'os/exec.CommandContext', 'os.StartProcess', 'syscall.ForkExec', 'syscall.StartProcess'],
    certainWith: ['os/exec.(*Cmd).Start', 'os.StartProcess'],
    certainty: 'likely',
    packages: ['os/exec'],
    packageCertainty: 'likely',
    sourcePatterns: [],
    sourceCertainty: 'likely',
    fix: 'put the programs it runs into the image (a base with them, or copy them in)',
  },
  {
    id: 'shell',
    what: 'runs command lines through /bin/sh',
    paths: [{ path: '/bin/sh' }],
    match: 'all',
    env: [],
    functions: ['os/exec.(*Cmd).Start', 'os.StartProcess'],
    certainWith: [],
    // The string alone proves nothing (a message may quote it); with process starting code it is a hint.
    certainty: 'possible',
    // Importing os/exec says nothing about a shell: only a command line handed to sh -c does.
    packages: [],
    packageCertainty: 'possible',
    sourcePatterns: [/"(?:\/bin\/)?(?:ba)?sh"\s*,\s*"-c"/],
    sourceCertainty: 'likely',
    alsoMentions: ['/bin/sh'],
    fix: 'use a base with a shell (busybox, alpine), or run the program directly instead of through sh -c',
  },
  {
    id: 'plugin',
    what: 'opens Go plugins (plugin.Open) through the C dynamic loader',
    paths: [],
    match: 'all',
    env: ['LD_LIBRARY_PATH'],
    // plugin.Open is small enough to be inlined: its body, plugin.open, is what a symbol table lists.
    functions: ['plugin.Open', 'plugin.open'],
    certainWith: ['plugin.Open', 'plugin.open'],
    certainty: 'certain',
    packages: ['plugin'],
    packageCertainty: 'certain',
    sourcePatterns: [],
    sourceCertainty: 'likely',
    fix: 'ship the plugins, libc and its loader: there is no static build of plugin.Open',
  },
  {
    id: 'nsswitch',
    what: 'resolves host names with the Go resolver, which orders /etc/hosts and DNS by /etc/nsswitch.conf',
    paths: [{ path: '/etc/nsswitch.conf' }],
    match: 'all',
    env: ['GODEBUG'],
    // Present whenever net resolves a name (Dial, Listen with a host name, LookupHost).
    functions: ['net.(*conf).hostLookupOrder', 'net.(*conf).lookupOrder'],
    certainWith: [],
    certainty: 'likely',
    packages: ['net'],
    packageCertainty: 'likely',
    sourcePatterns: [],
    sourceCertainty: 'likely',
    // Before go1.16 a missing file meant "dns before files" (golang/go#35305, #22846);
    // from go1.16 on (CL 238629) it means "files, then dns", which is right without the file.
    beforeGoMinor: 16,
    fix: 'add /etc/nsswitch.conf with "hosts: files dns", or rebuild with go1.16 or later',
  },
  {
    id: 'libraries',
    what: 'loads C libraries at run time through purego (Dlopen), even without cgo',
    paths: [],
    match: 'all',
    env: ['LD_LIBRARY_PATH'],
    functions: ['github.com/ebitengine/purego.Dlopen'],
    certainWith: ['github.com/ebitengine/purego.Dlopen'],
    certainty: 'certain',
    packages: ['github.com/ebitengine/purego'],
    packageCertainty: 'likely',
    sourcePatterns: [],
    sourceCertainty: 'likely',
    fix: 'ship the libraries it opens, with libc and its loader',
  },
];

/** Every function name some rule looks for: a binary analysis keeps only these out of the pclntab. */
export const NEED_FUNCTIONS: ReadonlySet<string> = new Set(
  RUNTIME_NEED_RULES.flatMap((r) => [...r.functions, ...r.certainWith, ...(r.embeddedBy?.functions ?? []), ...r.paths.flatMap((p) => p.onlyWith ?? [])]),
);

/** Every string some rule wants to find in the program's bytes. */
export const NEED_MENTIONS: readonly string[] = [...new Set(RUNTIME_NEED_RULES.flatMap((r) => r.alsoMentions ?? []))];
