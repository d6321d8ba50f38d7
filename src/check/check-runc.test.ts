import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildImage } from '../build/build.js';
import { writeImageReference } from '../image/open-reference.js';
import { parseImageReference } from '../image/refs.js';
import type { Image } from '../image/types.js';
import { ImageRootFS } from '../rootfs/image-fs.js';
import { fixture } from '../testing/fixtures.js';
import { runBundle, unpackBundle } from '../testing/runc.js';
import { checkImage } from './check-image.js';
import { extendImage, fileEntry, layoutImage, mergedUsrImage, oldLibc, opaqueEntry, singleFileImage, whiteoutEntry } from './check-images.js';

/**
 * The oracle for `check`: its verdict agrees with actually running the
 * image (umoci unpack, then runc run). Each case says what runc does and at
 * which severity check must (and below which it must not) report it:
 * "error" for most; "warning" where check cannot know whether the failing
 * call is reached (LoadLocation may be given "UTC"). An unknown User is
 * refused by umoci before runc is reached: the same verdict, not a run.
 * Left out: a Go HTTPS client (it needs a route to the internet to fail or
 * succeed for the right reason). The table of cases is printed as test
 * diagnostics (node --test shows them), for the issue's note.
 */

const work = await mkdtemp(join(tmpdir(), 'fromscratch-check-runc-'));
after(() => rm(work, { recursive: true, force: true }));

interface RunOutcome {
  readonly ran: boolean;
  readonly how: string;
}

async function runs(image: Image, name: string): Promise<RunOutcome> {
  const layout = join(work, `${name}-layout`);
  await writeImageReference(parseImageReference(`oci:${layout}:t`), { kind: 'image', image });
  const bundle = join(work, `${name}-bundle`);
  try {
    await unpackBundle(layout, 't', bundle);
  } catch (e) {
    return { ran: false, how: `umoci refused: ${(e as Error).message.split('\n').find((l) => /user|passwd/i.test(l))?.trim() ?? 'unpack failed'}` };
  }
  const result = await runBundle(bundle);
  const said = `${result.stderr}\n${result.stdout}`.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
  return { ran: result.code === 0, how: `exit ${result.code ?? result.signal}${said ? `: ${said.length > 110 ? `…${said.slice(-110)}` : said}` : ''}` };
}

/** Whether the kernel would run an arm64 binary through qemu (binfmt_misc); then runc succeeds where a plain amd64 host fails. */
async function arm64Emulated(): Promise<boolean> {
  const state = await readFile('/proc/sys/fs/binfmt_misc/qemu-aarch64', 'utf8').catch(() => '');
  return state.startsWith('enabled');
}

interface Case {
  readonly name: string;
  readonly image: Image;
  /** What runc must do with it. */
  readonly runs: boolean;
  /** The severity from which a finding means "will not run" for this case. */
  readonly failsAt?: 'error' | 'warning';
  /** umoci, not runc, refuses it (the runtime's own check of the config). */
  readonly refusedByRuntime?: boolean;
}

test("check's verdict agrees with runc for good and broken images", async (t) => {
  const goDir = join(work, 'go-static');
  await buildImage([fixture('go-static')], { output: `oci:${goDir}:v1` });
  const goStatic = await layoutImage(goDir, 'v1');
  const cDir = join(work, 'c-dynamic');
  await buildImage([fixture('c-dynamic')], { output: `oci:${cDir}:v1` });
  const cDynamic = await layoutImage(cDir, 'v1');
  const cgoDir = join(work, 'go-net-cgo');
  await buildImage([fixture('go-net-cgo')], { output: `oci:${cgoDir}:v1` });
  const netCgo = await layoutImage(cgoDir, 'v1');
  const libc = await (await ImageRootFS.open(cDynamic, 'c')).realpath('/lib/x86_64-linux-gnu/libc.so.6');
  assert.ok(libc, 'the built image holds libc');
  const mergedUsr = await mergedUsrImage(fixture('c-dynamic'), '/app/c-dynamic');
  const tz = await singleFileImage(fixture('go-loadlocation'), '/app/tz');
  const paris = new Uint8Array(await readFile('/usr/share/zoneinfo/Europe/Paris'));
  const hosts = fileEntry('etc/hosts', '127.0.0.1\tlocalhost\n::1\tlocalhost\n');
  const emulated = await arm64Emulated();

  const cases: Case[] = [
    { name: 'go-static', image: goStatic, runs: true },
    { name: 'c-dynamic', image: cDynamic, runs: true },
    { name: 'c-dynamic-alone', image: await singleFileImage(fixture('c-dynamic'), '/app/c-dynamic'), runs: false },
    { name: 'libc-whiteout', image: await extendImage(cDynamic, [whiteoutEntry(libc)]), runs: false },
    { name: 'lib-opaque', image: await extendImage(cDynamic, [{ header: { path: 'lib/', type: 'dir', mode: 0o755 } }, opaqueEntry('lib')]), runs: false },
    { name: 'library-missing-loader-present', image: await extendImage(cDynamic, [fileEntry('app/missing', new Uint8Array(await readFile(fixture('c-missing-lib'))), 0o755)], { Entrypoint: ['/app/missing'] }), runs: false },
    { name: 'merged-usr', image: mergedUsr, runs: true },
    { name: 'merged-usr-no-lib-link', image: await extendImage(mergedUsr, [whiteoutEntry('/lib')]), runs: true },
    { name: 'merged-usr-no-lib64-link', image: await extendImage(mergedUsr, [whiteoutEntry('/lib64')]), runs: false },
    { name: 'old-libc-symbol-version', image: await extendImage(cDynamic, [fileEntry(libc, await oldLibc(work), 0o755)]), runs: false },
    { name: 'arm64-in-amd64', image: await singleFileImage(fixture('go-static-arm64'), '/app/server', { architecture: 'amd64' }), runs: emulated },
    { name: 'not-executable', image: await singleFileImage(fixture('go-static'), '/app/go-static', { mode: 0o644 }), runs: false },
    { name: 'entrypoint-missing', image: await extendImage(goStatic, [], { Entrypoint: ['/app/nope'] }), runs: false },
    { name: 'script-no-shell', image: await extendImage(goStatic, [fileEntry('run.sh', '#!/bin/sh\necho hi\n', 0o755)], { Entrypoint: ['/run.sh'] }), runs: false },
    { name: 'user-unknown', image: await extendImage(goStatic, [], { User: 'appuser' }), runs: false, refusedByRuntime: true },
    { name: 'loadlocation-no-zoneinfo', image: tz, runs: false, failsAt: 'warning' },
    { name: 'loadlocation-ZONEINFO', image: await extendImage(tz, [fileEntry('zones/Europe/Paris', paris)], { Env: ['ZONEINFO=/zones'] }), runs: true, failsAt: 'warning' },
    { name: 'loadlocation-zoneinfo-present', image: await extendImage(tz, [fileEntry('usr/share/zoneinfo/Europe/Paris', paris)]), runs: true, failsAt: 'warning' },
    { name: 'loadlocation-timetzdata', image: await singleFileImage(fixture('go-loadlocation-tzdata'), '/app/tz'), runs: true, failsAt: 'warning' },
    { name: 'netgo-no-nsswitch', image: await extendImage(await singleFileImage(fixture('go-net-netgo'), '/app/lookup'), [hosts]), runs: true },
    { name: 'net-cgo-no-nsswitch', image: await extendImage(netCgo, [whiteoutEntry('/etc/nsswitch.conf')]), runs: true },
  ];
  const rank = { info: 0, warning: 1, error: 2 } as const;
  const table: string[] = [];
  for (const c of cases) {
    const verdict = await checkImage(c.image, { name: c.name });
    const actual = await runs(c.image, c.name);
    const findings = verdict.findings.map((f) => `${f.id} (${f.severity})`).join(', ') || 'none';
    table.push(`${c.name} | ${findings} | ${actual.ran ? 'runs' : 'fails'}: ${actual.how}`);
    assert.equal(actual.ran, c.runs, `${c.name}: runc ${actual.ran ? 'ran it' : 'failed'} (${actual.how}), the test expected otherwise`);
    assert.equal(actual.how.startsWith('umoci refused'), c.refusedByRuntime === true, `${c.name}: ${actual.how}`);
    if (c.name === 'arm64-in-amd64' && emulated) {
      // qemu runs it here; the image still will not run on an amd64 host without emulation.
      assert.deepEqual(verdict.findings.map((f) => f.id), ['arch-mismatch']);
      continue;
    }
    const threshold = rank[c.failsAt ?? 'error'];
    const predictsFailure = verdict.findings.some((f) => rank[f.severity] >= threshold);
    assert.equal(!predictsFailure, actual.ran, `${c.name}: check found ${findings}; runc: ${actual.how}`);
  }
  for (const row of ['case | check findings | runc', ...table]) t.diagnostic(row);
});
