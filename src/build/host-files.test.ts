import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { rootFile } from './host-files.js';

test('a sysroot file behind an absolute symlink is read from the sysroot, never the host', async () => {
  const root = mkdtempSync(join(tmpdir(), 'fromscratch-sysroot-'));
  mkdirSync(join(root, 'opt/real'), { recursive: true });
  mkdirSync(join(root, 'lib'), { recursive: true });
  writeFileSync(join(root, 'opt/real/libdemo.so.1'), 'inside the sysroot');
  // Absolute target: inside the root it means <root>/opt/real/...
  symlinkSync('/opt/real/libdemo.so.1', join(root, 'lib/libdemo.so.1'));
  // A link that would reach the host's /etc/passwd if resolved on the host.
  symlinkSync('/etc/passwd', join(root, 'lib/escape'));

  const found = await rootFile(root, '/lib/libdemo.so.1');
  assert.deepEqual(found.content, { kind: 'host', hostPath: join(root, 'opt/real/libdemo.so.1') });
  assert.equal(found.size, 'inside the sysroot'.length);
  await assert.rejects(rootFile(root, '/lib/escape'), /no such file/);
});
