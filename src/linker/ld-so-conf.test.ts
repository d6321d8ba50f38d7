import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HostRootFS } from '../fs/host.js';
import { mutate, Rng } from '../testing/mutate.js';
import { compileComponent, globInRoot } from './glob.js';
import { MAX_INCLUDE_DEPTH, readLdSoConf } from './ld-so-conf.js';

/** Builds a root from a map of path → file contents (directories for paths ending in '/'). */
function makeRoot(files: Record<string, string>): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'fromscratch-conf-'));
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    if (path.endsWith('/')) {
      mkdirSync(full, { recursive: true });
    } else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * The oracle: ldconfig itself, chrooted into the tree (-r), building
 * nothing (-N -X), printing each directory it scans with where it was
 * named: "/opt/a: (from /etc/ld.so.conf.d/a.conf:1)".
 */
function ldconfigDirs(root: string): string[] {
  const out = execFileSync('ldconfig', ['-r', root, '-v', '-N', '-X'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const dirs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^(\/\S*): \(from (\S+):(\d+)\)$/.exec(line);
    if (m) dirs.push(`${m[1]} ${m[2]}:${m[3]}`);
  }
  return dirs;
}

test('include globs, relative includes, comments, hwcap lines and duplicates, as ldconfig reads them', async () => {
  const t = makeRoot({
    'etc/ld.so.conf': [
      '# the top file',
      'include /etc/ld.so.conf.d/*.conf',
      '   /opt/top/   # trailing slash and comment',
      'hwcap 0 nosegneg',
      'include extra/b.conf  extra/a.conf',
      '/opt/a',
      '',
    ].join('\n'),
    'etc/ld.so.conf.d/20-second.conf': '/opt/second\n',
    'etc/ld.so.conf.d/10-first.conf': '/opt/first\n\t/opt/a\n',
    'etc/ld.so.conf.d/not-matched.txt': '/opt/never\n',
    'etc/ld.so.conf.d/.hidden.conf': '/opt/hidden\n',
    'etc/extra/a.conf': '/opt/extra-a\n',
    'etc/extra/b.conf': '/opt/extra-b\n',
    'opt/top/': '',
    'opt/a/': '',
    'opt/first/': '',
    'opt/second/': '',
    'opt/extra-a/': '',
    'opt/extra-b/': '',
    'opt/never/': '',
    'opt/hidden/': '',
  });
  try {
    const conf = await readLdSoConf(new HostRootFS(t.root));
    assert.deepEqual(
      conf.dirs.map((d) => d.path),
      ['/opt/first', '/opt/a', '/opt/second', '/opt/top', '/opt/extra-b', '/opt/extra-a'],
    );
    // ldconfig agrees on every directory and on where each was named.
    assert.deepEqual(
      ldconfigDirs(t.root),
      conf.dirs.map((d) => `${d.path} ${d.file}:${d.line}`),
    );
    assert.deepEqual(conf.files, ['/etc/ld.so.conf', '/etc/ld.so.conf.d/10-first.conf', '/etc/ld.so.conf.d/20-second.conf', '/etc/extra/b.conf', '/etc/extra/a.conf']);
    assert.deepEqual(conf.warnings, []);
  } finally {
    t.cleanup();
  }
});

test("this machine's /etc/ld.so.conf gives the directories ldconfig scans", async () => {
  const conf = await readLdSoConf(new HostRootFS('/'));
  // ldconfig skips directories that do not exist and ones it already scanned under another name (same inode, e.g. /usr/lib/x and /lib/x on merged /usr).
  const seen = new Set<string>();
  const scanned = conf.dirs.filter((d) => {
    let id: string;
    try {
      const st = statSync(d.path);
      if (!st.isDirectory()) return false;
      id = `${st.dev}:${st.ino}`;
    } catch {
      return false;
    }
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  assert.ok(scanned.length > 0);
  // It then adds its built-in directories, which are not configuration.
  const theirs = ldconfigDirs('/').filter((line) => !line.includes('<builtin>'));
  assert.deepEqual(
    theirs,
    scanned.map((d) => `${d.path} ${d.file}:${d.line}`),
  );
});

test('include loops and runaway nesting stop with a warning', async () => {
  const t = makeRoot({
    'etc/ld.so.conf': 'include /etc/loop/a.conf\n/opt/after\n',
    'etc/loop/a.conf': '/opt/a\ninclude b.conf\n',
    'etc/loop/b.conf': '/opt/b\ninclude a.conf\n',
  });
  try {
    const conf = await readLdSoConf(new HostRootFS(t.root));
    assert.deepEqual(
      conf.dirs.map((d) => d.path),
      ['/opt/a', '/opt/b', '/opt/after'],
    );
    assert.equal(conf.warnings.length, 1);
    assert.match(conf.warnings[0] ?? '', /included from itself/);
  } finally {
    t.cleanup();
  }
  // A chain of distinct files deeper than the bound.
  const files: Record<string, string> = { 'etc/ld.so.conf': 'include /etc/d/0.conf\n' };
  for (let i = 0; i < MAX_INCLUDE_DEPTH + 5; i++) files[`etc/d/${i}.conf`] = `/opt/${i}\ninclude ${i + 1}.conf\n`;
  const deep = makeRoot(files);
  try {
    const conf = await readLdSoConf(new HostRootFS(deep.root));
    assert.equal(conf.dirs.length, MAX_INCLUDE_DEPTH - 1);
    assert.ok(conf.warnings.some((w) => w.includes('nested deeper')));
  } finally {
    deep.cleanup();
  }
});

test('no ld.so.conf, or an include through a hostile link, stays inside the root', async () => {
  const t = makeRoot({ 'etc/other': 'x' });
  try {
    const fs = new HostRootFS(t.root);
    assert.deepEqual(await readLdSoConf(fs), { dirs: [], files: [], warnings: [] });
    // /etc/ld.so.conf as a link to the host's own file: re-rooted, so it is missing here.
    symlinkSync('/etc/ld.so.conf', join(t.root, 'etc', 'ld.so.conf.link'));
    writeFileSync(join(t.root, 'etc', 'ld.so.conf'), 'include /etc/ld.so.conf.link\ninclude ../../../../etc/ld.so.conf.d/*.conf\n');
    const conf = await readLdSoConf(fs);
    assert.deepEqual(conf.dirs, []);
  } finally {
    t.cleanup();
  }
});

test('glob components: *, ?, brackets, escapes, leading dots', async () => {
  const match = (pattern: string, name: string) => compileComponent(pattern).test(name);
  assert.ok(match('*.conf', 'a.conf'));
  assert.ok(!match('*.conf', '.a.conf'));
  assert.ok(match('.*.conf', '.a.conf'));
  assert.ok(match('?0-*.conf', 'x0-y.conf'));
  assert.ok(match('[a-c]*', 'beta'));
  assert.ok(!match('[!a-c]*', 'beta'));
  assert.ok(match('[]x]', ']'));
  assert.ok(match('a\\*b', 'a*b'));
  assert.ok(!match('a\\*b', 'axb'));
  assert.ok(match('a+(b)', 'a+(b)'), 'regex metacharacters are literal');
  const t = makeRoot({ 'etc/x/b.conf': '', 'etc/x/a.conf': '', 'etc/y/c.conf': '', 'etc/z': '' });
  try {
    assert.deepEqual(await globInRoot(new HostRootFS(t.root), '/etc/*/*.conf'), ['/etc/x/a.conf', '/etc/x/b.conf', '/etc/y/c.conf']);
    assert.deepEqual(await globInRoot(new HostRootFS(t.root), '/etc/nothing/*.conf'), []);
  } finally {
    t.cleanup();
  }
});

test('fuzz: corrupted configuration text never throws, only yields directories or warnings', async () => {
  const seed = new TextEncoder().encode('include /etc/ld.so.conf.d/*.conf\n/opt/a # x\nhwcap 1 x\ninclude sub/[ab]*.conf other.conf\n/usr/local/lib\n');
  const t = makeRoot({ 'etc/ld.so.conf.d/a.conf': '/opt/inc\ninclude ../ld.so.conf\n', 'etc/sub/a1.conf': '/x\n' });
  try {
    const fs = new HostRootFS(t.root);
    const rng = new Rng(0xc0ff);
    for (let i = 0; i < 150; i++) {
      writeFileSync(join(t.root, 'etc', 'ld.so.conf'), mutate(seed, rng));
      const conf = await readLdSoConf(fs);
      for (const dir of conf.dirs) assert.ok(dir.path.length > 0 && !dir.path.endsWith('/'));
    }
  } finally {
    t.cleanup();
  }
});
