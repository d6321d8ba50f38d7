import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { InspectReport } from '../analysis/report.js';
import { fixture } from '../testing/fixtures.js';
import { BIN } from '../testing/cli.js';

// End to end through the real executable, as a person or a script calls it.

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function jsonLines(stdout: string): InspectReport[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as InspectReport);
}

test('a static Go binary: one JSON line, exit 0, runs FROM scratch', async () => {
  const r = await run(['inspect', '--json', fixture('go-static')]);
  assert.equal(r.code, 0, r.stderr);
  const [report, ...rest] = jsonLines(r.stdout);
  assert.equal(rest.length, 0);
  assert.ok(report);
  assert.equal(report.format, 'elf');
  assert.equal(report.linkage, 'static');
  assert.equal(report.recommendation?.base, 'scratch');
  assert.equal(report.error, null);
  assert.match(report.go?.version ?? '', /^go1\.23/);
});

test('text output starts with the verdict line and has no colour when piped', async () => {
  const r = await run(['inspect', fixture('go-static')]);
  assert.equal(r.code, 0);
  const first = r.stdout.split('\n')[0] ?? '';
  assert.ok(first.startsWith(fixture('go-static') + ': linux/amd64 ELF executable, statically linked'), first);
  assert.match(first, /runs FROM scratch/);
  assert.doesNotMatch(r.stdout, /\u001b\[/);
});

test('text output on a terminal is coloured, unless NO_COLOR is set (stdout asked by fstat, not through process.stdout)', async () => {
  // script(1) runs the command on a pseudo-terminal and copies what it writes.
  const onTerminal = (env: NodeJS.ProcessEnv) =>
    new Promise<string>((resolve, reject) => {
      const command = [process.execPath, BIN, 'inspect', fixture('go-static')].map((a) => `'${a}'`).join(' ');
      execFile('script', ['-qec', command, '/dev/null'], { env: { ...process.env, ...env } }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
  const coloured = await onTerminal({ NO_COLOR: '' });
  assert.match(coloured, /\u001b\[2mformat/);
  assert.ok(coloured.includes(`\u001b[1m${fixture('go-static')}\u001b[22m: linux/amd64 ELF executable`), coloured);
  const plain = await onTerminal({ NO_COLOR: '1' });
  assert.doesNotMatch(plain, /\u001b\[/);
  assert.ok(plain.includes('  format      ELF 64-bit LSB executable'), plain);
});

test('a missing file: exit 2, one line on stderr naming it, no stack trace', async () => {
  const missing = join(tmpdir(), 'fromscratch-no-such-file');
  const r = await run(['inspect', missing]);
  assert.equal(r.code, 2);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] ?? '', new RegExp(`${missing}: no such file`));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('usage errors exit 2', async () => {
  assert.equal((await run(['inspect'])).code, 2);
  assert.equal((await run(['inspect', '--bogus', 'x'])).code, 2);
  assert.equal((await run(['frobnicate'])).code, 2);
  assert.equal((await run(['inspect', '--fail-on', 'sometimes', 'x'])).code, 2);
});

test('a directory scan skips non-binaries, reports a broken binary and goes on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-scan-'));
  copyFileSync(fixture('go-static'), join(dir, 'good'));
  writeFileSync(join(dir, 'notes.txt'), 'not a binary\n');
  const broken = readFileSync(fixture('go-static')).subarray(0, 100);
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'truncated'), broken);
  copyFileSync(fixture('c-static'), join(dir, 'sub', 'z-static'));
  // A symlink out of the tree is not followed.
  symlinkSync(fixture('go-net-cgo'), join(dir, 'outside-link'));
  const r = await run(['inspect', '--json', dir]);
  assert.equal(r.code, 2, 'an unreadable binary makes the exit code 2');
  const reports = jsonLines(r.stdout);
  assert.deepEqual(
    reports.map((x) => x.path),
    [join(dir, 'good'), join(dir, 'sub', 'truncated'), join(dir, 'sub', 'z-static')],
  );
  const truncated = reports[1];
  assert.ok(truncated?.error, 'the truncated file has an error entry');
  assert.match(truncated.error.message, /truncated|past the end/);
  assert.ok(truncated.error.message.includes(join(dir, 'sub', 'truncated')));
  assert.equal(reports[2]?.linkage, 'static', 'the scan went on after the broken file');
});

test('CGO_ENABLED=0 -buildmode=pie: the trap is reported, and missing interpreter fails with exit 1', async () => {
  const host = jsonLines((await run(['inspect', '--json', fixture('go-pie-nocgo')])).stdout)[0];
  assert.ok(host);
  assert.equal(host.linkage, 'dynamic');
  assert.deepEqual(host.needed, []);
  assert.ok(host.findings.some((f) => f.id === 'pie-needs-interpreter' && f.fix !== null));

  const emptyRoot = mkdtempSync(join(tmpdir(), 'fromscratch-root-'));
  const r = await run(['inspect', '--json', '--root', emptyRoot, fixture('go-pie-nocgo')]);
  assert.equal(r.code, 1);
  const report = jsonLines(r.stdout)[0];
  assert.ok(report?.findings.some((f) => f.id === 'interpreter-missing' && f.severity === 'error'));
  assert.ok(report?.findings.some((f) => f.id === 'pie-needs-interpreter' && f.severity === 'error'));
  assert.equal((await run(['inspect', '--json', '--fail-on', 'none', '--root', emptyRoot, fixture('go-pie-nocgo')])).code, 0);
});

test('a dynamic binary with a missing library fails with library-missing', async () => {
  const r = await run(['inspect', '--json', join(fixture('c-missing-lib'))]);
  const report = jsonLines(r.stdout)[0];
  assert.equal(r.code, 1);
  assert.ok(report?.findings.some((f) => f.id === 'library-missing' && f.message.includes('libnothere.so')));
  assert.ok(report?.libraries.some((l) => l.name === 'libnothere.so' && l.path === null));
});

test('Mach-O and PE binaries are identified and flagged for a Linux image', async () => {
  const r = await run(['inspect', '--json', fixture('go-darwin-arm64'), fixture('go-windows-amd64')]);
  assert.equal(r.code, 1);
  const [mac, win] = jsonLines(r.stdout);
  assert.equal(mac?.format, 'macho');
  assert.equal(mac?.os, 'darwin');
  assert.equal(mac?.arch, 'arm64');
  assert.equal(win?.format, 'pe');
  assert.equal(win?.os, 'windows');
  assert.equal(win?.arch, 'amd64');
  for (const rep of [mac, win]) assert.ok(rep?.findings.some((f) => f.id === 'not-linux' && f.severity === 'error'));
  assert.equal(mac?.recommendation?.base, null);
});

test('an explicitly named non-binary is format unknown, not an error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-unknown-'));
  writeFileSync(join(dir, 'script.sh'), '#!/bin/sh\necho hi\n');
  writeFileSync(join(dir, 'empty'), '');
  const r = await run(['inspect', '--json', join(dir, 'script.sh'), join(dir, 'empty')]);
  assert.equal(r.code, 0, r.stderr);
  const reports = jsonLines(r.stdout);
  assert.deepEqual(reports.map((x) => [x.format, x.error]), [['unknown', null], ['unknown', null]]);
});

test('a Go source directory is analysed before building, not scanned for binaries', async () => {
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const r = await run(['inspect', '--json', join(repo, 'fixtures/go/httpsclient'), join(repo, 'fixtures/go/cgomusl')]);
  assert.equal(r.code, 0, r.stderr);
  const [https, cgo] = jsonLines(r.stdout);
  assert.equal(https?.format, 'go-source');
  assert.equal(https?.go?.path, 'example.com/httpsclient');
  assert.ok(https?.needs.some((n) => n.id === 'ca-certificates'));
  assert.ok(https?.recommendation?.files.includes('/etc/ssl/certs/ca-certificates.crt'));
  assert.deepEqual(cgo?.go?.cgo?.culprits.map((c) => c.package), ['example.com/cgomusl']);
  assert.ok(cgo?.findings.some((f) => f.id === 'cgo-package' && /musl/.test(f.fix ?? '')));
});

test('a big scan shared with helper threads prints exactly what one thread prints, in the same order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-workers-'));
  const sources = ['c-dynamic', 'c-static', 'go-static', 'go-net-cgo', 'c-musl-dynamic', 'go-pie-nocgo', 'go-darwin-arm64'];
  for (let i = 0; i < 70; i++) {
    const name = sources[i % sources.length] as string;
    // Hard links: regular files for the scan, no copies on disk (a copy where the temp dir is another file system).
    const target = join(dir, `${String(i).padStart(3, '0')}-${name}`);
    try {
      linkSync(fixture(name), target);
    } catch {
      copyFileSync(fixture(name), target);
    }
  }
  writeFileSync(join(dir, 'broken'), readFileSync(fixture('c-static')).subarray(0, 200));
  const single = await run(['inspect', '--json', dir], { FROMSCRATCH_WORKERS: '0' });
  assert.equal(jsonLines(single.stdout).length, 71);
  assert.equal(single.code, 2, 'the broken file makes it 2');
  // One helper, and more helpers than this machine has cores: a helper that runs out of files first and exits is no failure.
  for (const helpers of ['1', '3']) {
    const multi = await run(['inspect', '--json', dir], { FROMSCRATCH_WORKERS: helpers });
    assert.equal(multi.stderr, '', `${helpers} helpers`);
    assert.equal(multi.stdout, single.stdout, `${helpers} helpers`);
    assert.equal(multi.code, single.code, `${helpers} helpers`);
  }
});

test('a scan piped into a reader that stops early: quiet, and it stops too, whether stdout blocks or not', async () => {
  // The reader waits half a second first, so the pipe (64 KB) is full before
  // it goes and the scan of 2,000 files (with a helper thread) is still
  // running when it does: the write that finds it gone must be quiet, and
  // the scan stops there. The broken file sorts last: reached, it would make
  // the exit code 2. On a non-blocking stdout (python3 sets O_NONBLOCK, then
  // runs the command), a full pipe moves output to process.stdout, whose
  // EPIPE is an 'error' event that must be handled.
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-epipe-'));
  for (let i = 0; i < 2000; i++) {
    const target = join(dir, String(i).padStart(4, '0'));
    try {
      linkSync(fixture('go-static'), target);
    } catch {
      copyFileSync(fixture('go-static'), target);
    }
  }
  writeFileSync(join(dir, 'zzzz-broken'), readFileSync(fixture('c-static')).subarray(0, 200));
  const nonBlocking = `python3 -c 'import fcntl, os, sys; fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | os.O_NONBLOCK); os.execvp(sys.argv[1], sys.argv[1:])'`;
  for (const wrapper of ['', nonBlocking]) {
    const script = `${wrapper} '${process.execPath}' '${BIN}' inspect --json '${dir}' | (sleep 0.5; head -c 100 >/dev/null); exit \${PIPESTATUS[0]}`;
    const r = await new Promise<Run>((resolve) => {
      execFile('bash', ['-c', script], { env: { ...process.env, FROMSCRATCH_WORKERS: '1' } }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      });
    });
    const how = wrapper === '' ? 'blocking stdout' : 'non-blocking stdout';
    assert.equal(r.stderr, '', how);
    assert.equal(r.code, 0, `${how}: the scan stopped before the broken file`);
  }
});

test('output cut short by its reader (| head): the rest is dropped quietly, no stack trace', async () => {
  const child = spawn(process.execPath, [BIN, 'inspect', '--json', ...Array.from({ length: 300 }, () => fixture('go-static'))], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Read one chunk, then close the pipe as head does.
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '');
});
