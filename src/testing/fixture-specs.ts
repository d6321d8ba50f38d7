/**
 * What each test fixture is and how it is built. The build script runs these
 * recipes; tests look fixtures up by name. Every fixture exists to pin down
 * one fact an analysis must get right (how it links, what it needs, which
 * toolchain wrote it), so each recipe says which fact it is for.
 */

/** The Go toolchains fixtures are built with (paths come from GO123/GO119). */
export type GoToolchain = 'go1.23' | 'go1.19';
export type CCompiler = 'gcc' | 'musl-gcc';

export interface GoFixtureSpec {
  kind: 'go';
  name: string;
  /** Directory under fixtures/go holding the program's module. */
  program: string;
  toolchain: GoToolchain;
  /** Environment the build sets beyond the shared Go settings (CGO_ENABLED, GOOS, CC…). */
  env: Readonly<Record<string, string>>;
  /** Arguments to `go build` between the -o output and the package. */
  flags: readonly string[];
  /**
   * Build from a copy of the program committed to a throwaway git repository
   * with a fixed author and date, so the binary records vcs.* settings that
   * do not depend on the state of this project's own checkout.
   */
  freshGitRepo?: boolean;
}

/** A path of a C build step: a source file, a file in the fixture's output, or a scratch file never shipped. */
export type CPathArg = { src: string } | { out: string } | { scratch: string };
export type CArg = string | CPathArg;

export interface CStep {
  compiler: CCompiler;
  args: readonly CArg[];
}

export interface CFixtureSpec {
  kind: 'c';
  name: string;
  /** Directory under fixtures/c holding the sources. */
  program: string;
  /**
   * Where `fixture(name)` points, relative to the fixture's own output
   * directory; '.' when the fixture is the whole directory (a layout with
   * bin/ and lib/).
   */
  entry: string;
  /** True when the fixture is a directory tree rather than one file. */
  directory: boolean;
  steps: readonly CStep[];
}

export type FixtureSpec = GoFixtureSpec | CFixtureSpec;

/**
 * Identity, time and git settings of the one commit a `freshGitRepo` fixture
 * is built from: fixed, so the recorded vcs.revision is the same on every
 * machine and a test can recreate it with git alone.
 */
export const FIXED_COMMIT_ENV = {
  GIT_AUTHOR_NAME: 'fromscratch fixtures',
  GIT_AUTHOR_EMAIL: 'fixtures@example.com',
  GIT_AUTHOR_DATE: '2024-01-02T03:04:05Z',
  GIT_COMMITTER_NAME: 'fromscratch fixtures',
  GIT_COMMITTER_EMAIL: 'fixtures@example.com',
  GIT_COMMITTER_DATE: '2024-01-02T03:04:05Z',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** The go1.19 twin of a go1.23 recipe, named with a -go119 suffix. */
function onGo119(spec: GoFixtureSpec): GoFixtureSpec {
  return { ...spec, name: `${spec.name}-go119`, toolchain: 'go1.19' };
}

/**
 * Every build from this project's checkout passes -buildvcs=false: the cache
 * key does not cover the checkout's git state, so stamping it would make the
 * same key hold different bytes. `go-vcs` covers VCS stamping instead.
 */
const NO_VCS = '-buildvcs=false';

function goStatic(name: string, env: Record<string, string> = {}): GoFixtureSpec {
  return { kind: 'go', name, program: 'static', toolchain: 'go1.23', env: { CGO_ENABLED: '0', ...env }, flags: [NO_VCS] };
}

function goCross(name: string, goos: string, goarch: string, extra: Record<string, string> = {}): GoFixtureSpec {
  return goStatic(name, { GOOS: goos, GOARCH: goarch, ...extra });
}

const goStaticNative = goStatic('go-static');
const goNetCgo: GoFixtureSpec = {
  kind: 'go',
  name: 'go-net-cgo',
  program: 'netlookup',
  toolchain: 'go1.23',
  env: { CGO_ENABLED: '1' },
  flags: [NO_VCS],
};
const goStripped: GoFixtureSpec = {
  kind: 'go',
  name: 'go-stripped',
  program: 'static',
  toolchain: 'go1.23',
  env: { CGO_ENABLED: '0' },
  flags: [NO_VCS, '-trimpath', '-ldflags=-s -w'],
};
const goArm64 = goCross('go-static-arm64', 'linux', 'arm64');
const go386 = goCross('go-static-386', 'linux', '386');
const goS390x = goCross('go-static-s390x', 'linux', 's390x');
const goDarwinAmd64 = goCross('go-darwin-amd64', 'darwin', 'amd64');
const goWindowsAmd64 = goCross('go-windows-amd64', 'windows', 'amd64');

/** A pure-Go build of a program that shows one run-time need (src/analysis/needs.ts). */
function goNeed(name: string, program: string, env: Record<string, string> = { CGO_ENABLED: '0' }): GoFixtureSpec {
  return { kind: 'go', name, program, toolchain: 'go1.23', env, flags: [NO_VCS] };
}

/**
 * What a binary needs from the image at run time, one need per program:
 * CA roots (and roots compiled in instead), zoneinfo (and the embedded
 * database), subprocesses, a shell, a temp dir, plugins. The go1.19 twins
 * pin the function names of the older standard library.
 */
const goHttpsClient = goNeed('go-https-client', 'httpsclient');
const goLoadLocation = goNeed('go-loadlocation', 'loadlocation');
const goLoadLocationTzdata = goNeed('go-loadlocation-tzdata', 'loadlocationtz');
const goExec = goNeed('go-exec', 'exec');
const goTempdir = goNeed('go-tempdir', 'tempdir');
const GO_NEED_FIXTURES: readonly GoFixtureSpec[] = [
  goHttpsClient,
  onGo119(goHttpsClient),
  goLoadLocation,
  onGo119(goLoadLocation),
  goLoadLocationTzdata,
  onGo119(goLoadLocationTzdata),
  goExec,
  onGo119(goExec),
  goNeed('go-shell', 'shell'),
  goTempdir,
  onGo119(goTempdir),
  // crypto/x509.SetFallbackRoots exists from Go 1.20 on: no go1.19 twin.
  goNeed('go-x509-fallback', 'x509fallback'),
  goNeed('go-plugin', 'plugin', { CGO_ENABLED: '1' }),
];

const GO_FIXTURES: readonly GoFixtureSpec[] = [
  // Linkage: pure Go, cgo through the standard library, and a cgo program of its own.
  goStaticNative,
  onGo119(goStaticNative),
  goNetCgo,
  onGo119(goNetCgo),
  { ...goNetCgo, name: 'go-net-netgo', flags: [NO_VCS, '-tags', 'netgo'] },
  { kind: 'go', name: 'go-osuser-cgo', program: 'osuser', toolchain: 'go1.23', env: { CGO_ENABLED: '1' }, flags: [NO_VCS] },
  { kind: 'go', name: 'go-osuser-nocgo', program: 'osuser', toolchain: 'go1.23', env: { CGO_ENABLED: '0' }, flags: [NO_VCS] },
  {
    kind: 'go',
    name: 'go-cgo-musl-static',
    program: 'cgomusl',
    toolchain: 'go1.23',
    env: { CGO_ENABLED: '1', CC: 'musl-gcc' },
    flags: [NO_VCS, '-ldflags=-linkmode external -extldflags -static'],
  },
  // PIE: internally linked without cgo (PT_INTERP, no DT_NEEDED), and with cgo.
  { kind: 'go', name: 'go-pie-nocgo', program: 'static', toolchain: 'go1.23', env: { CGO_ENABLED: '0' }, flags: [NO_VCS, '-buildmode=pie'] },
  { ...goNetCgo, name: 'go-pie-cgo', flags: [NO_VCS, '-buildmode=pie'] },
  // No symbol table, no DWARF, no -ldflags in the settings (-trimpath drops it).
  goStripped,
  onGo119(goStripped),
  // Build info with both forms of replace directive and a quoted -ldflags setting.
  {
    kind: 'go',
    name: 'go-replaced',
    program: 'replaced',
    toolchain: 'go1.23',
    env: { CGO_ENABLED: '0' },
    flags: [NO_VCS, '-ldflags=-X main.note=x'],
  },
  // Build info with vcs, vcs.revision, vcs.time and vcs.modified.
  { kind: 'go', name: 'go-vcs', program: 'static', toolchain: 'go1.23', env: { CGO_ENABLED: '0' }, flags: ['-trimpath'], freshGitRepo: true },
  // Every architecture the inspector names, both endians and both word sizes.
  goArm64,
  go386,
  goCross('go-static-arm', 'linux', 'arm', { GOARM: '7' }),
  goS390x,
  goCross('go-static-ppc64le', 'linux', 'ppc64le'),
  goCross('go-static-ppc64', 'linux', 'ppc64'),
  goCross('go-static-riscv64', 'linux', 'riscv64'),
  goCross('go-static-mips64le', 'linux', 'mips64le'),
  goCross('go-static-mips', 'linux', 'mips'),
  goCross('go-static-loong64', 'linux', 'loong64'),
  onGo119(goArm64),
  onGo119(go386),
  onGo119(goS390x),
  // Other operating systems: identified, never run.
  goDarwinAmd64,
  goCross('go-darwin-arm64', 'darwin', 'arm64'),
  goWindowsAmd64,
  goCross('go-windows-386', 'windows', '386'),
  goCross('go-freebsd-amd64', 'freebsd', 'amd64'),
  onGo119(goDarwinAmd64),
  onGo119(goWindowsAmd64),
  ...GO_NEED_FIXTURES,
];

function hello(name: string, compiler: CCompiler, linkFlags: readonly string[]): CFixtureSpec {
  return {
    kind: 'c',
    name,
    program: 'hello',
    entry: 'app',
    directory: false,
    steps: [{ compiler, args: ['-O2', ...linkFlags, '-o', { out: 'app' }, { src: 'hello.c' }] }],
  };
}

/** Build flags for a shared library named `file` with that file name as its SONAME. */
function sharedLibrary(file: string): string[] {
  return ['-shared', '-fPIC', `-Wl,-soname,${file}`];
}

const C_FIXTURES: readonly CFixtureSpec[] = [
  // Two-hop $ORIGIN search: the app's DT_RUNPATH finds libgreet, whose own
  // DT_RUNPATH finds libinner (DT_RUNPATH is not inherited, so it must).
  {
    kind: 'c',
    name: 'c-origin',
    program: 'greet',
    entry: '.',
    directory: true,
    steps: [
      { compiler: 'gcc', args: [...sharedLibrary('libinner.so'), '-o', { out: 'lib/inner/libinner.so' }, { src: 'inner.c' }] },
      {
        compiler: 'gcc',
        args: [
          ...sharedLibrary('libgreet.so'),
          '-Wl,--enable-new-dtags',
          '-Wl,-rpath,$ORIGIN/inner',
          '-o',
          { out: 'lib/libgreet.so' },
          { src: 'greet.c' },
          '-L',
          { out: 'lib/inner' },
          '-linner',
        ],
      },
      {
        compiler: 'gcc',
        args: [
          '-Wl,--enable-new-dtags',
          '-Wl,-rpath,$ORIGIN/../lib',
          '-Wl,-rpath-link',
          { out: 'lib/inner' },
          '-o',
          { out: 'bin/app' },
          { src: 'app.c' },
          '-L',
          { out: 'lib' },
          '-lgreet',
        ],
      },
    ],
  },
  // Old-style DT_RPATH, which glibc applies to the whole chain: libgreet has
  // no search path of its own and finds libinner through the app's DT_RPATH.
  {
    kind: 'c',
    name: 'c-rpath',
    program: 'greet',
    entry: '.',
    directory: true,
    steps: [
      { compiler: 'gcc', args: [...sharedLibrary('libinner.so'), '-o', { out: 'lib/libinner.so' }, { src: 'inner.c' }] },
      {
        compiler: 'gcc',
        args: [...sharedLibrary('libgreet.so'), '-o', { out: 'lib/libgreet.so' }, { src: 'greet.c' }, '-L', { out: 'lib' }, '-linner'],
      },
      {
        compiler: 'gcc',
        args: [
          '-Wl,--disable-new-dtags',
          '-Wl,-rpath,$ORIGIN/../lib',
          '-o',
          { out: 'bin/app' },
          { src: 'app.c' },
          '-L',
          { out: 'lib' },
          '-lgreet',
        ],
      },
    ],
  },
  // Linked against a stub that is then left behind: libnothere.so cannot be found.
  {
    kind: 'c',
    name: 'c-missing-lib',
    program: 'missing',
    entry: 'app',
    directory: false,
    steps: [
      { compiler: 'gcc', args: [...sharedLibrary('libnothere.so'), '-o', { scratch: 'libnothere.so' }, { src: 'nothere.c' }] },
      { compiler: 'gcc', args: ['-o', { out: 'app' }, { src: 'app.c' }, '-L', { scratch: '.' }, '-lnothere'] },
    ],
  },
  // Every way to link a plain C program, with glibc and with musl.
  hello('c-dynamic', 'gcc', []),
  hello('c-nopie', 'gcc', ['-no-pie']),
  hello('c-static', 'gcc', ['-static']),
  hello('c-static-pie', 'gcc', ['-static-pie']),
  hello('c-musl-dynamic', 'musl-gcc', []),
  hello('c-musl-static', 'musl-gcc', ['-static']),
  {
    kind: 'c',
    name: 'c-shared',
    program: 'shared',
    entry: 'libdemo.so',
    directory: false,
    steps: [{ compiler: 'gcc', args: ['-shared', '-fPIC', '-Wl,-soname,libdemo.so.1', '-o', { out: 'libdemo.so' }, { src: 'demo.c' }] }],
  },
  // pthread_create@GLIBC_2.34: needs a glibc at least that new.
  {
    kind: 'c',
    name: 'c-versioned',
    program: 'versioned',
    entry: 'app',
    directory: false,
    steps: [{ compiler: 'gcc', args: ['-O2', '-pthread', '-o', { out: 'app' }, { src: 'threads.c' }] }],
  },
];

export const FIXTURE_SPECS: readonly FixtureSpec[] = [...GO_FIXTURES, ...C_FIXTURES];

/** Every fixture name `fixture()` accepts, in build order. */
export const FIXTURE_NAMES: readonly string[] = FIXTURE_SPECS.map((spec) => spec.name);

/** The file name a Go fixture is written to: Windows binaries keep their .exe. */
export function goOutputName(spec: GoFixtureSpec): string {
  return spec.env.GOOS === 'windows' ? `${spec.name}.exe` : spec.name;
}
