import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../errors.js';
import { formatImageReference, parseImageReference } from './refs.js';

test('oci: and oci-archive: split the path at the first colon, tag optional', () => {
  assert.deepEqual(parseImageReference('oci:out/layout'), { transport: 'oci', path: 'out/layout' });
  assert.deepEqual(parseImageReference('oci:/abs/dir:v1.2'), { transport: 'oci', path: '/abs/dir', tag: 'v1.2' });
  assert.deepEqual(parseImageReference('oci-archive:img.tar:latest'), { transport: 'oci-archive', path: 'img.tar', tag: 'latest' });
  assert.deepEqual(parseImageReference('oci:dir:'), { transport: 'oci', path: 'dir' });
});

test('docker-archive: takes a REPO:TAG name or an @N index', () => {
  assert.deepEqual(parseImageReference('docker-archive:a.tar'), { transport: 'docker-archive', path: 'a.tar' });
  assert.deepEqual(parseImageReference('docker-archive:a.tar:example.com:5000/x/y:v1'), {
    transport: 'docker-archive',
    path: 'a.tar',
    reference: { kind: 'name', name: 'example.com:5000/x/y:v1' },
  });
  assert.deepEqual(parseImageReference('docker-archive:a.tar:@2'), { transport: 'docker-archive', path: 'a.tar', reference: { kind: 'index', index: 2 } });
});

test('docker:// and bare references go to the registry parser', () => {
  const r = parseImageReference('docker://localhost:5000/team/app@sha256:' + 'a'.repeat(64));
  assert.equal(r.transport, 'docker');
  if (r.transport !== 'docker') return;
  assert.equal(r.registry.registry, 'localhost:5000');
  assert.equal(r.registry.repository, 'team/app');
  assert.equal(r.registry.digest, 'sha256:' + 'a'.repeat(64));
  const bare = parseImageReference('ghcr.io/owner/tool:1.0');
  assert.equal(bare.transport, 'docker');
  if (bare.transport !== 'docker') return;
  assert.equal(bare.registry.registry, 'ghcr.io');
  assert.equal(bare.registry.tag, '1.0');
});

test('references print back in skopeo syntax', () => {
  for (const text of ['oci:dir:v1', 'oci-archive:f.tar', 'docker-archive:f.tar:repo/x:1', 'docker-archive:f.tar:@0', 'docker://ghcr.io/o/t:1']) {
    assert.equal(formatImageReference(parseImageReference(text)), text);
  }
});

test('bad references are usage errors with one-line messages', () => {
  for (const text of ['', 'oci:', 'oci::tag', 'oci:dir:bad tag', 'docker-archive:a.tar:@x', 'docker-archive:a.tar:NoTag', 'dir:/tmp/x', 'docker:foo', 'HOST/Repo:tag']) {
    assert.throws(
      () => parseImageReference(text),
      (e: unknown) => e instanceof UsageError && !e.message.includes('\n'),
      text,
    );
  }
});
