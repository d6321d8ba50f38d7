import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../errors.js';
import { mutate, Rng } from '../testing/mutate.js';
import { parseChallenges } from './challenge.js';
import { findCredentials } from './credentials.js';
import { parseRegistryReference } from './reference.js';

test('registry references: host detection, Docker Hub names, tags and digests', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseRegistryReference('127.0.0.1:5000/a/b:v1'), { registry: '127.0.0.1:5000', repository: 'a/b', tag: 'v1' });
  assert.deepEqual(parseRegistryReference('docker://localhost/x'), { registry: 'localhost', repository: 'x', tag: 'latest' });
  assert.deepEqual(parseRegistryReference('alpine'), { registry: 'registry-1.docker.io', repository: 'library/alpine', tag: 'latest' });
  assert.deepEqual(parseRegistryReference('docker.io/me/app:1.0'), { registry: 'registry-1.docker.io', repository: 'me/app', tag: '1.0' });
  assert.deepEqual(parseRegistryReference(`ghcr.io/o/r@${digest}`), { registry: 'ghcr.io', repository: 'o/r', digest });
  assert.deepEqual(parseRegistryReference(`ghcr.io/o/r:t@${digest}`), { registry: 'ghcr.io', repository: 'o/r', tag: 't', digest });
  assert.deepEqual(parseRegistryReference('[::1]:5000/r'), { registry: '[::1]:5000', repository: 'r', tag: 'latest' });
  for (const bad of ['', 'Upper/Case', 'host:5000/r:bad tag', 'r@sha256', 'a//b', 'host/-x']) {
    assert.throws(() => parseRegistryReference(bad), UsageError, bad);
  }
});

test('WWW-Authenticate: Bearer with quoted commas and escapes, Basic, several challenges in one header', () => {
  const [bearer] = parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"');
  assert.deepEqual(bearer, {
    scheme: 'bearer',
    params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
  });
  assert.deepEqual(parseChallenges('Basic realm="a \\"quoted\\" realm"'), [{ scheme: 'basic', params: { realm: 'a "quoted" realm' } }]);
  const both = parseChallenges('Basic realm=simple, Bearer realm="r", error="invalid_token"');
  assert.deepEqual(
    both.map((c) => c.scheme),
    ['basic', 'bearer'],
  );
  assert.equal(both[1]?.params.error, 'invalid_token');
  assert.deepEqual(parseChallenges(''), []);
  // Garbage ends, it does not hang or throw.
  assert.ok(Array.isArray(parseChallenges('=,,"\\')));
});

test('credentials: auths entries, REGISTRY_AUTH_FILE first, credential helpers', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fromscratch-creds-'));
  try {
    const docker = join(dir, 'docker');
    await mkdir(docker);
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    await writeFile(
      join(docker, 'config.json'),
      JSON.stringify({
        auths: {
          'reg.example:5000': { auth: b64('alice:pa:ss') },
          'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') },
        },
        credHelpers: { 'helped.example': 'fstest' },
      }),
    );
    const env = { DOCKER_CONFIG: docker, HOME: dir, PATH: `${dir}:${process.env.PATH ?? ''}` };
    assert.deepEqual(await findCredentials('reg.example:5000', { env }), { username: 'alice', password: 'pa:ss' });
    assert.deepEqual(await findCredentials('registry-1.docker.io', { env }), { username: 'hubuser', password: 'hubpass' });
    assert.equal(await findCredentials('other.example', { env }), undefined);

    const authFile = join(dir, 'auth.json');
    await writeFile(authFile, JSON.stringify({ auths: { 'reg.example:5000': { auth: b64('bob:secret') } } }));
    assert.deepEqual(await findCredentials('reg.example:5000', { env: { ...env, REGISTRY_AUTH_FILE: authFile } }), { username: 'bob', password: 'secret' });

    // A helper on PATH answering docker's protocol: the server URL on stdin, JSON on stdout.
    const helper = join(dir, 'docker-credential-fstest');
    await writeFile(helper, '#!/bin/sh\nread server\nprintf \'{"ServerURL":"%s","Username":"helper-user","Secret":"from-%s"}\' "$server" "$server"\n');
    await chmod(helper, 0o755);
    assert.deepEqual(await findCredentials('helped.example', { env }), { username: 'helper-user', password: 'from-helped.example' });

    // The containers auth.json under XDG_CONFIG_HOME (or ~/.config) comes before docker's config.json.
    const xdg = join(dir, 'xdg');
    await mkdir(join(xdg, 'containers'), { recursive: true });
    await writeFile(join(xdg, 'containers', 'auth.json'), JSON.stringify({ auths: { 'reg.example:5000': { auth: b64('carol:podman') } } }));
    assert.deepEqual(await findCredentials('reg.example:5000', { env: { ...env, XDG_CONFIG_HOME: xdg } }), { username: 'carol', password: 'podman' });
    assert.deepEqual(await findCredentials('reg.example:5000', { env }), { username: 'alice', password: 'pa:ss' });

    // credsStore: the default helper for registries with no entry of their own; one not installed means anonymous.
    await writeFile(join(docker, 'config.json'), JSON.stringify({ credsStore: 'fstest', auths: { 'reg.example:5000': {} } }));
    assert.deepEqual(await findCredentials('stored.example', { env }), { username: 'helper-user', password: 'from-stored.example' });
    await writeFile(join(docker, 'config.json'), JSON.stringify({ credsStore: 'not-installed' }));
    assert.equal(await findCredentials('stored.example', { env }), undefined);

    await writeFile(join(docker, 'config.json'), '{not json');
    await assert.rejects(findCredentials('reg.example:5000', { env }), (e: unknown) => e instanceof Error && /config\.json: not valid JSON/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('fuzz: mutated challenges and references give a result or a UsageError, nothing else', () => {
  const rng = new Rng(0x5eed);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const challenge = encoder.encode('Bearer realm="https://a.example/token",service="reg",scope="repository:x/y:pull,push", Basic realm="r"');
  const reference = encoder.encode(`reg.example:5000/team/app:v1.2@sha256:${'0'.repeat(64)}`);
  for (let i = 0; i < 400; i++) {
    const parsed = parseChallenges(decoder.decode(mutate(challenge, rng)));
    assert.ok(parsed.every((c) => typeof c.scheme === 'string' && typeof c.params === 'object'));
    try {
      const ref = parseRegistryReference(decoder.decode(mutate(reference, rng)));
      assert.ok(ref.repository.length > 0 && (ref.tag !== undefined || ref.digest !== undefined));
    } catch (e) {
      assert.ok(e instanceof UsageError, String(e));
    }
  }
});
