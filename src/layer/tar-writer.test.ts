import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, lstatSync, readlinkSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FormatError, InputError } from '../errors.js';
import { encodeEntryHeader, writeTar, type TarInput } from './tar-writer.js';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fromscratch-tarw-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A body stream that yields `bytes` in small chunks, as a file read would. */
function streamOf(bytes: Uint8Array, chunk = 4096): () => Promise<Readable> {
  return async () =>
    Readable.from(
      (function* () {
        for (let i = 0; i < bytes.length; i += chunk) yield Buffer.from(bytes.subarray(i, i + chunk));
      })(),
    );
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const longPath150 = `${'deep-directory-name/'.repeat(7)}file-150.txt`;
const longPath300 = `${'another-very-long-directory-name/'.repeat(9)}file-300.bin`;
const unicodePath = 'usr/share/zoneinfo/Europe/Zürich-日本語.txt';
const longTarget = `/opt/${'x'.repeat(140)}/target`;
const appBytes = randomBytes(300_000);

function sampleEntries(): TarInput[] {
  return [
    { header: { path: 'etc/', type: 'dir', mode: 0o755 } },
    { header: { path: 'etc/passwd', type: 'file', mode: 0o644, size: 24, mtime: 1_700_000_000 }, body: text('root:x:0:0::/root:/bin/sh').subarray(0, 24) },
    { header: { path: 'bin', type: 'dir', mode: 0o700 } },
    { header: { path: 'bin/app', type: 'file', mode: 0o4755, size: appBytes.length, uid: 1234, gid: 5678, uname: 'app', gname: 'apps' }, body: streamOf(appBytes) },
    { header: { path: 'bin/app-again', type: 'hardlink', mode: 0o4755, linkname: 'bin/app', uid: 1234, gid: 5678 } },
    { header: { path: 'bin/sh', type: 'symlink', mode: 0o777, linkname: '/bin/busybox' } },
    { header: { path: 'bin/far', type: 'symlink', mode: 0o777, linkname: longTarget } },
    { header: { path: 'empty', type: 'file', mode: 0o600, size: 0 } },
    { header: { path: longPath150.slice(0, longPath150.lastIndexOf('/') + 1), type: 'dir', mode: 0o755 } },
    { header: { path: longPath150, type: 'file', mode: 0o640, size: 5 }, body: text('long1') },
    { header: { path: longPath300, type: 'file', mode: 0o644, size: 5 }, body: text('long2') },
    { header: { path: unicodePath, type: 'file', mode: 0o644, size: 7, uid: 3_000_000 }, body: text('unicode') },
  ];
}

test('GNU tar lists and extracts what we write: types, modes, owners, links, contents, long and unicode names', async (t) => {
  const dir = tempDir(t);
  const archive = join(dir, 'out.tar');
  writeFileSync(archive, await collect(writeTar(sampleEntries())));

  const listed = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).split('\n').filter((line) => line !== '');
  assert.deepEqual(listed, sampleEntries().map((entry) => (entry.header.type === 'dir' && !entry.header.path.endsWith('/') ? `${entry.header.path}/` : entry.header.path)));

  const verbose = execFileSync('tar', ['-tvf', archive, '--numeric-owner', '--full-time'], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  const appLine = verbose.split('\n').find((line) => line.endsWith(' bin/app'));
  assert.ok(appLine?.startsWith('-rwsr-xr-x 1234/5678 '), appLine);
  const passwdLine = verbose.split('\n').find((line) => line.endsWith(' etc/passwd'));
  assert.ok(passwdLine?.includes(' 2023-11-14 22:13:20 '), passwdLine);
  const namedLine = execFileSync('tar', ['-tvf', archive], { encoding: 'utf8' }).split('\n').find((line) => line.endsWith(' bin/app'));
  assert.ok(namedLine?.startsWith('-rwsr-xr-x app/apps '), namedLine);

  const out = join(dir, 'x');
  mkdirSync(out);
  execFileSync('tar', ['-xf', archive, '-C', out, '--numeric-owner', '--same-owner', '--same-permissions']);
  for (const { header, body } of sampleEntries()) {
    const path = join(out, header.path);
    const stat = lstatSync(path);
    if (header.type === 'dir') assert.ok(stat.isDirectory(), header.path);
    if (header.type === 'symlink') {
      assert.ok(stat.isSymbolicLink(), header.path);
      assert.equal(readlinkSync(path), header.linkname);
      continue;
    }
    if (header.type === 'file' || header.type === 'hardlink') assert.ok(stat.isFile(), header.path);
    assert.equal(stat.mode & 0o7777, header.mode, `${header.path} mode`);
    assert.equal(stat.uid, header.uid ?? 0, `${header.path} uid`);
    assert.equal(stat.gid, header.gid ?? 0, `${header.path} gid`);
    if (header.type === 'hardlink') assert.equal(stat.ino, lstatSync(join(out, header.linkname ?? '')).ino);
    if (header.type === 'file') {
      assert.equal(Math.round(stat.mtimeMs / 1000), header.mtime ?? 0, `${header.path} mtime`);
      const expected = body instanceof Uint8Array ? body : body === undefined ? new Uint8Array(0) : appBytes;
      assert.ok(readFileSync(path).equals(Buffer.from(expected)), `${header.path} contents`);
    }
  }
});

test('same entries give the same bytes, from sync or async iterables; the archive ends with two zero blocks', async () => {
  const first = await collect(writeTar(sampleEntries()));
  async function* asyncEntries(): AsyncGenerator<TarInput> {
    yield* sampleEntries();
  }
  const second = await collect(writeTar(asyncEntries()));
  assert.ok(first.equals(second));
  assert.equal(first.length % 512, 0);
  assert.ok(first.subarray(first.length - 1024).equals(Buffer.alloc(1024)));
  // No GNU extension headers: every type flag in the archive is a POSIX one.
  assert.equal(first.indexOf('././@LongLink'), -1);
});

test('an empty archive is exactly two zero blocks and GNU tar accepts it', async (t) => {
  const bytes = await collect(writeTar([]));
  assert.ok(bytes.equals(Buffer.alloc(1024)));
  const dir = tempDir(t);
  writeFileSync(join(dir, 'e.tar'), bytes);
  assert.equal(execFileSync('tar', ['-tf', join(dir, 'e.tar')], { encoding: 'utf8' }), '');
});

test('unsafe paths and inconsistent entries are rejected with FormatError', async () => {
  const bad: TarInput[] = [
    { header: { path: '/etc/passwd', type: 'file', mode: 0o644, size: 0 } },
    { header: { path: 'a/../../etc', type: 'file', mode: 0o644, size: 0 } },
    { header: { path: '..', type: 'dir', mode: 0o755 } },
    { header: { path: 'a//b', type: 'file', mode: 0o644, size: 0 } },
    { header: { path: './a', type: 'file', mode: 0o644, size: 0 } },
    { header: { path: '', type: 'file', mode: 0o644, size: 0 } },
    { header: { path: 'file/', type: 'file', mode: 0o644, size: 0 } },
    { header: { path: 'nul\0x', type: 'file', mode: 0o644, size: 0 } },
    { header: { path: 'f', type: 'file', mode: 0o644, size: 3 }, body: text('four') },
    { header: { path: 'f', type: 'file', mode: 0o644, size: 5 }, body: text('four') },
    { header: { path: 'f', type: 'file', mode: 0o644, size: 3 }, body: streamOf(text('four'), 1) },
    { header: { path: 'f', type: 'file', mode: 0o644, size: 5 }, body: streamOf(text('four'), 1) },
    { header: { path: 'f', type: 'file', mode: 0o644 }, body: text('x') },
    { header: { path: 'f', type: 'file', mode: 0o644, size: 1 } },
    { header: { path: 'd/', type: 'dir', mode: 0o755 }, body: text('x') },
    { header: { path: 's', type: 'symlink', mode: 0o777 } },
    { header: { path: 'h', type: 'hardlink', mode: 0o644, linkname: '../outside' } },
    { header: { path: 'h', type: 'hardlink', mode: 0o644, linkname: '/abs' } },
    { header: { path: 'f', type: 'file', mode: -1, size: 0 } },
    { header: { path: 'f', type: 'file', mode: 0o644, size: 0, uid: 1.5 } },
    { header: { path: 'f', type: 'file', mode: 0o644, size: 0, mtime: -5 } },
  ];
  for (const entry of bad) {
    await assert.rejects(collect(writeTar([entry])), (error: unknown) => error instanceof FormatError, JSON.stringify(entry.header));
  }
});

test('a failing body stream ends the archive with an InputError naming the entry', async () => {
  const failing: TarInput = {
    header: { path: 'broken', type: 'file', mode: 0o644, size: 10 },
    body: async () =>
      new Readable({
        read() {
          this.destroy(new Error('disk on fire'));
        },
      }),
  };
  await assert.rejects(collect(writeTar([failing])), (error: unknown) => error instanceof InputError && /^broken: disk on fire/.test(error.message));
});

test('bodies are pulled only as fast as the archive is read (backpressure)', async () => {
  let produced = 0;
  const size = 16 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 7);
  const entry: TarInput = {
    header: { path: 'big', type: 'file', mode: 0o644, size },
    body: async () =>
      Readable.from(
        (function* () {
          for (let i = 0; i < size / chunk.length; i++) {
            produced += chunk.length;
            yield chunk;
          }
        })(),
      ),
  };
  const tar = writeTar([entry]);
  const iterator = tar[Symbol.asyncIterator]();
  const first = await iterator.next();
  let total = (first.value as Buffer).length;
  await new Promise((resolve) => setTimeout(resolve, 50));
  // Both streams buffer a little (the body up to 16 chunks of 64 KiB), far below the 16 MiB body.
  assert.ok(produced <= 4 * 1024 * 1024, `read ${produced} bytes of the body while the consumer waited`);
  for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) total += (next.value as Buffer).length;
  assert.equal(total, 512 + size + 1024);
  assert.equal(produced, size);
});

test('a size of 8 GiB or more goes into a PAX record that GNU tar reads', (t) => {
  const size = 8 * 1024 ** 3 + 12345;
  const header = encodeEntryHeader({ path: 'huge.img', type: 'file', mode: 0o644, size, linkname: '', uid: 0, gid: 0, uname: '', gname: '', mtime: 0 });
  const dir = tempDir(t);
  writeFileSync(join(dir, 'huge.tar'), header);
  // The data is absent, so tar reports an early EOF, but it has already listed the entry with its PAX size.
  const result = spawnSync('tar', ['-tvf', join(dir, 'huge.tar')], { encoding: 'utf8' });
  assert.match(result.stdout, new RegExp(` ${size} .* huge\\.img`));
});
