import { test } from 'node:test';
import assert from 'node:assert/strict';
import { glibcSearchDirs, muslSearchDirs, originOf, substituteGlibc } from './dst.js';
import { findSystemDirs } from './system-dirs.js';
import { muslPrefix, muslReservedFamily } from './musl.js';

const tokens = { origin: '/opt/app/bin', platform: 'x86_64', lib: 'lib64' };

test('glibc token substitution follows is_dst: whole identifiers only, braces, unknown tokens literal', () => {
  assert.equal(substituteGlibc('$ORIGIN/../lib', tokens), '/opt/app/bin/../lib');
  assert.equal(substituteGlibc('${ORIGIN}/x', tokens), '/opt/app/bin/x');
  assert.equal(substituteGlibc('/usr/$LIB/$PLATFORM', tokens), '/usr/lib64/x86_64');
  assert.equal(substituteGlibc('$ORIGINAL', tokens), '$ORIGINAL', 'an identifier character after the name: not the token');
  assert.equal(substituteGlibc('${ORIGIN', tokens), '${ORIGIN', 'no closing brace: not the token');
  assert.equal(substituteGlibc('$HOME/lib', tokens), '$HOME/lib');
  assert.equal(substituteGlibc('a$', tokens), 'a$');
  assert.equal(substituteGlibc('$PLATFORM/x', { ...tokens, platform: undefined }), undefined, 'a known token without a value drops the path');
});

test('glibc search dirs: trailing slashes trimmed, empty and relative elements dropped', () => {
  assert.deepEqual(glibcSearchDirs(['/a/', '', 'rel', '$ORIGIN//', '/', '$PLATFORM'], { ...tokens, platform: undefined }), ['/a', '/opt/app/bin', '/']);
});

test('musl: only $ORIGIN and ${ORIGIN} (as prefixes); any other $ voids the whole list; ":" and newline separate', () => {
  assert.deepEqual(muslSearchDirs('$ORIGIN/../lib:/usr/lib\n/opt/x::', '/app/bin'), ['/app/bin/../lib', '/usr/lib', '/opt/x']);
  assert.deepEqual(muslSearchDirs('${ORIGIN}/a:$ORIGINAL', '/o'), ['/o/a', '/oAL']);
  assert.equal(muslSearchDirs('/usr/lib:$LIB', '/o'), undefined);
  assert.deepEqual(muslSearchDirs('rel:/abs', '/o'), ['/abs']);
});

test('origins, musl prefixes and reserved names', () => {
  assert.equal(originOf('/a/b/c.so'), '/a/b');
  assert.equal(originOf('/c.so'), '/');
  assert.equal(muslPrefix('/lib/ld-musl-x86_64.so.1'), '');
  assert.equal(muslPrefix('/usr/local/musl/lib/ld-musl-x86_64.so.1'), '/usr/local/musl');
  assert.equal(muslReservedFamily('libc.so'), 'c.');
  assert.equal(muslReservedFamily('libc.musl-aarch64.so.1'), 'c.');
  assert.equal(muslReservedFamily('libm.so.6'), 'm.');
  assert.equal(muslReservedFamily('libcrypt.so.1'), undefined);
  assert.equal(muslReservedFamily('libdl.so.2'), 'dl.');
  assert.equal(muslReservedFamily('/lib/libc.so'), undefined);
});

test('SYSTEM_DIRS is found among other strings; lists that are not library directories are not', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.deepEqual(findSystemDirs(enc('junk\0/etc/ld.so.cache\0/lib64/\0/usr/lib64/\0more\0')), ['/lib64', '/usr/lib64']);
  assert.deepEqual(findSystemDirs(enc('\0/proc/\0/sys/\0x\0/lib/aarch64-linux-gnu/\0/usr/lib/aarch64-linux-gnu/\0/lib/\0/usr/lib/\0')), [
    '/lib/aarch64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/lib',
    '/usr/lib',
  ]);
  assert.equal(findSystemDirs(enc('\0/lib64/\0only one\0')), undefined);
});
