import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DockerfileParser, Keyword, ModifiableInstruction, type Dockerfile, type From, type Instruction } from 'dockerfile-ast';
import { goRuntimeNeeds, readGoEvidence, type GoNeed } from '../analysis/needs.js';
import { openExecutable } from '../binary/open.js';
import { readGoInfo } from '../golang/index.js';
import { withFile } from '../io/source.js';
import { FIXTURE_SOURCES, goBinary, goEnv } from '../testing/fixture-key.js';
import { fixture } from '../testing/fixtures.js';
import { fileOracle, goVersionM } from '../testing/oracles.js';
import { run } from '../testing/process.js';
import { factsFromBinary, factsFromSource, type DockerfileFacts } from './facts.js';
import { extraLdflags, generateDockerfile } from './generate.js';

/**
 * Every generated Dockerfile is parsed by dockerfile-ast (the parser of the
 * VS Code Docker extension) and checked instruction by instruction; for a
 * few programs the generated `go build` line is also run for real and the
 * binary it makes is checked with file(1) and our own needs analysis.
 */

interface Stage {
  readonly from: From;
  readonly instructions: readonly Instruction[];
}

const KEYWORDS = new Set<string>(Object.values(Keyword));

/** Parses and checks the file's well-formedness; returns its stages. */
function parseChecked(text: string): { dockerfile: Dockerfile; stages: Stage[] } {
  const dockerfile = DockerfileParser.parse(text);
  const instructions = dockerfile.getInstructions();
  assert.ok(instructions.length > 0, 'no instructions');
  const covered = new Set<number>();
  for (const i of instructions) {
    assert.ok(KEYWORDS.has(i.getKeyword()), `unknown instruction ${i.getKeyword()}`);
    assert.ok((i.getArgumentsContent() ?? '').trim().length > 0, `${i.getKeyword()} without arguments`);
    const range = i.getRange();
    for (let line = range.start.line; line <= range.end.line; line++) covered.add(line);
  }
  // Every line is an instruction, a comment or blank: nothing the parser had to skip.
  text.split('\n').forEach((line, n) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    assert.ok(covered.has(n), `line ${n + 1} is not part of an instruction: ${line}`);
  });
  const stages: Stage[] = [];
  for (const i of instructions) {
    if (i.getKeyword() === 'FROM') stages.push({ from: i as From, instructions: [] });
    else {
      assert.ok(stages.length > 0, `${i.getKeyword()} before FROM`);
      (stages[stages.length - 1]?.instructions as Instruction[]).push(i);
    }
  }
  const names: string[] = [];
  for (const stage of stages) {
    assert.ok(stage.from.getImageName(), 'FROM without an image');
    for (const i of stage.instructions) {
      if (i.getKeyword() === 'COPY') {
        const from = dockerfile.getCOPYs().find((c) => c.getRange().start.line === i.getRange().start.line)?.getFromFlag()?.getValue();
        if (from) assert.ok(names.includes(from), `COPY --from=${from} names no earlier stage`);
      }
      if (i.getKeyword() === 'RUN') {
        // Every variable a RUN uses is declared (ARG) or predefined.
        for (const v of (i.getArgumentsContent() ?? '').matchAll(/\$\{?([A-Z_][A-Z0-9_]*)/g)) {
          assert.ok(dockerfile.getAvailableVariables(i.getRange().start.line).includes(v[1] as string), `$${v[1]} is not declared before line ${i.getRange().start.line + 1}`);
        }
      }
    }
    const name = stage.from.getBuildStage();
    if (name) names.push(name);
  }
  const entrypoints = dockerfile.getENTRYPOINTs();
  assert.equal(entrypoints.length, 1);
  const entry = entrypoints[0];
  assert.ok(entry?.getOpeningBracket() && entry.getClosingBracket(), 'ENTRYPOINT is not in exec (JSON) form');
  return { dockerfile, stages };
}

function keywords(stage: Stage | undefined): string[] {
  return (stage?.instructions ?? []).map((i) => i.getKeyword());
}

/** An instruction's flags (as --name=value) and arguments, as the parser split them. */
function words(i: Instruction): string {
  const flags = i instanceof ModifiableInstruction ? i.getFlags().map((f) => `--${f.getName()}=${f.getValue() ?? ''}`) : [];
  return [...flags, i.getArgumentsContent() ?? ''].join(' ');
}

function args(stage: Stage | undefined, keyword: string): string[] {
  return (stage?.instructions ?? []).filter((i) => i.getKeyword() === keyword).map(words);
}

async function fromBinary(name: string, options = {}): Promise<{ text: string; stages: Stage[]; facts: DockerfileFacts }> {
  const facts = await factsFromBinary(fixture(name));
  const text = generateDockerfile(facts, options);
  return { text, facts, ...parseChecked(text) };
}

const CA_COPY = '--from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/';
const ZONEINFO_COPY = '--from=build /usr/share/zoneinfo /usr/share/zoneinfo';

test('dockerfile: a static HTTPS client copies the CA bundle and nothing else FROM scratch', async () => {
  const { stages } = await fromBinary('go-https-client');
  assert.equal(stages.length, 2);
  const [build, final] = stages;
  const oracle = await goVersionM(fixture('go-https-client'));
  assert.equal(build?.from.getImage(), `golang:${oracle?.version.replace(/^go/, '')}`);
  assert.equal(build?.from.getBuildStage(), 'build');
  assert.equal(build?.from.getPlatformFlag()?.getValue(), '$BUILDPLATFORM');
  assert.deepEqual(keywords(build), ['ARG', 'ARG', 'WORKDIR', 'COPY', 'RUN']);
  assert.deepEqual(args(build, 'ARG'), ['TARGETOS', 'TARGETARCH']);
  const [runLine] = args(build, 'RUN');
  assert.match(runLine ?? '', /^CGO_ENABLED=0 GOOS=\$TARGETOS GOARCH=\$TARGETARCH go build -trimpath -tags netgo -ldflags="-s -w" -o \/out\/go-https-client \.$/);
  assert.equal(final?.from.getImage(), 'scratch');
  assert.deepEqual(keywords(final), ['COPY', 'COPY', 'USER', 'ENTRYPOINT']);
  assert.deepEqual(args(final, 'COPY'), [CA_COPY, '--from=build /out/go-https-client /app/go-https-client']);
  assert.deepEqual(args(final, 'USER'), ['65532:65532']);
  assert.deepEqual(args(final, 'ENTRYPOINT'), ['["/app/go-https-client"]']);
});

test('dockerfile: LoadLocation without time/tzdata copies zoneinfo; with it, nothing', async () => {
  const without = await fromBinary('go-loadlocation');
  assert.deepEqual(args(without.stages[1], 'COPY'), [ZONEINFO_COPY, '--from=build /out/go-loadlocation /app/go-loadlocation']);
  const withTzdata = await fromBinary('go-loadlocation-tzdata');
  assert.deepEqual(keywords(withTzdata.stages[1]), ['COPY', 'USER', 'ENTRYPOINT']);
  // go1.19 build: the builder follows the binary's toolchain.
  const old = await fromBinary('go-loadlocation-go119');
  const oracle = await goVersionM(fixture('go-loadlocation-go119'), goBinary('go1.19'));
  assert.equal(old.stages[0]?.from.getImageTag(), oracle?.version.replace(/^go/, ''));
  assert.ok(args(old.stages[1], 'COPY').includes(ZONEINFO_COPY));
  // Embedding instead of copying: the tag, and no zoneinfo layer.
  const embedded = await fromBinary('go-loadlocation', { embedTzdata: true });
  assert.match(args(embedded.stages[0], 'RUN')[0] ?? '', / -tags timetzdata /);
  assert.ok(!args(embedded.stages[1], 'COPY').includes(ZONEINFO_COPY));
});

test('dockerfile: os/user through cgo: osusergo, and passwd/group with the nonroot user staged in the builder', async () => {
  const { stages, text } = await fromBinary('go-osuser-cgo');
  const runs = args(stages[0], 'RUN');
  assert.match(runs[0] ?? '', /^CGO_ENABLED=0 .* -tags osusergo /);
  assert.match(runs[1] ?? '', /printf 'root:x:0:0:root:\/root:\/sbin\/nologin\\nnonroot:x:65532:65532:nonroot:\/home\/nonroot:\/sbin\/nologin\\n' > \/rootfs\/etc\/passwd/);
  assert.match(runs[1] ?? '', /> \/rootfs\/etc\/group/);
  assert.deepEqual(args(stages[1], 'COPY')[0], '--from=build /rootfs/ /');
  assert.match(text.replace(/\n# /g, ' '), /called C from os\/user/);
});

test('dockerfile: net through cgo: the netgo tag, and no files', async () => {
  const { stages, text } = await fromBinary('go-net-cgo');
  assert.match(args(stages[0], 'RUN')[0] ?? '', / -tags netgo /);
  assert.deepEqual(keywords(stages[1]), ['COPY', 'USER', 'ENTRYPOINT']);
  assert.match(text.replace(/\n# /g, ' '), /called C from net/);
});

test('dockerfile: a program needing nothing is scratch plus the binary', async () => {
  const { stages } = await fromBinary('go-static');
  assert.equal(stages[1]?.from.getImage(), 'scratch');
  assert.deepEqual(keywords(stages[1]), ['COPY', 'USER', 'ENTRYPOINT']);
  assert.deepEqual(args(stages[1], 'COPY'), ['--from=build /out/go-static /app/go-static']);
  assert.doesNotMatch(args(stages[0], 'RUN')[0] ?? '', /-tags/);
});

test('dockerfile: a PIE is rebuilt as a plain static executable, and the comment says why', async () => {
  const { stages, text } = await fromBinary('go-pie-nocgo');
  assert.doesNotMatch(args(stages[0], 'RUN')[0] ?? '', /buildmode/);
  assert.match(text.replace(/\n# /g, ' '), /-buildmode=pie; this one builds a plain executable/);
  assert.equal(stages[1]?.from.getImage(), 'scratch');
});

test('dockerfile: a cgo package of its own: alpine builder, musl static link, still FROM scratch', async () => {
  const { stages } = await fromBinary('go-cgo-musl-static');
  const [build, final] = stages;
  assert.match(build?.from.getImage() ?? '', /^golang:1\.23\.\d+-alpine$/);
  assert.equal(build?.from.getPlatformFlag(), null);
  assert.deepEqual(args(build, 'RUN')[0], 'apk add --no-cache build-base');
  assert.equal(
    args(build, 'RUN')[1],
    'CGO_ENABLED=1 go build -trimpath -ldflags="-s -w -linkmode external -extldflags -static" -o /out/go-cgo-musl-static .',
  );
  assert.equal(final?.from.getImage(), 'scratch');
});

test('dockerfile: /tmp staged with mode 1777; plugin keeps cgo and a glibc base', async () => {
  const tmp = await fromBinary('go-tempdir');
  assert.match(args(tmp.stages[0], 'RUN')[1] ?? '', /mkdir -p \/rootfs\/tmp && chmod 1777 \/rootfs\/tmp/);
  const plugin = await fromBinary('go-plugin');
  assert.equal(plugin.stages[0]?.from.getImage()?.endsWith('-alpine'), false);
  assert.match(args(plugin.stages[0], 'RUN')[0] ?? '', /^CGO_ENABLED=1 go build /);
  assert.equal(plugin.stages[1]?.from.getImage(), 'gcr.io/distroless/base-debian12');
});

test('dockerfile: from source directories, with the go.mod version and the same decisions', async () => {
  const https = generateDockerfile(await factsFromSource(join(FIXTURE_SOURCES, 'go', 'httpsclient'), { goBinary: goBinary('go1.23') }));
  const parsed = parseChecked(https);
  assert.equal(parsed.stages[0]?.from.getImage(), 'golang:1.19');
  assert.ok(args(parsed.stages[1], 'COPY').includes(CA_COPY));
  assert.deepEqual(args(parsed.stages[1], 'ENTRYPOINT'), ['["/app/httpsclient"]']);
  const musl = parseChecked(generateDockerfile(await factsFromSource(join(FIXTURE_SOURCES, 'go', 'cgomusl'), { goBinary: goBinary('go1.23') })));
  assert.equal(musl.stages[0]?.from.getImage(), 'golang:1.19-alpine');
  const shell = parseChecked(generateDockerfile(await factsFromSource(join(FIXTURE_SOURCES, 'go', 'shell'), { goBinary: goBinary('go1.23') })));
  assert.equal(shell.stages[1]?.from.getImage(), 'alpine:3.20');
});

function constructed(overrides: Partial<DockerfileFacts>): DockerfileFacts {
  return {
    origin: { kind: 'binary', path: 'bin/tool' },
    goImageVersion: '1.22.4',
    goVersionNote: 'test',
    build: { kind: 'source', target: './cmd/tool', contextNote: null },
    binaryName: 'tool',
    platform: { os: 'linux', arch: 'arm64' },
    tags: ['prod', 'netgo'],
    outsideReplaces: [],
    originalLdflags: '-s -w -X main.version=1.2.3',
    originalBuildmode: null,
    usesNet: true,
    usesOsUser: false,
    originalCgo: [],
    cgoCulprits: [],
    needs: [],
    ...overrides,
  };
}

test('dockerfile: released module versions build with go install, possible needs stay commented out', () => {
  const text = generateDockerfile(
    constructed({
      build: { kind: 'install', target: 'example.com/tool/cmd/tool/v2@v2.3.4' },
      needs: [{ id: 'ca-certificates', paths: [], evidence: ['crypto/x509.loadSystemRoots'], certainty: 'possible', match: 'any', reason: 'r', env: [], fix: 'f' }],
    }),
  );
  const { stages } = parseChecked(text);
  const [build, final] = stages;
  assert.equal(build?.from.getPlatformFlag(), null);
  assert.ok(!keywords(build).includes('COPY'));
  assert.equal(args(build, 'RUN')[0], 'CGO_ENABLED=0 GOBIN=/out go install -trimpath -tags prod,netgo -ldflags="-s -w" example.com/tool/cmd/tool/v2@v2.3.4');
  // go install names the binary after the path without its major version suffix.
  assert.deepEqual(args(final, 'COPY'), ['--from=build /out/tool /app/tool']);
  assert.match(text, /^# COPY --from=build \/etc\/ssl\/certs\/ca-certificates\.crt \/etc\/ssl\/certs\/$/m);
  const prose = text.replace(/\n# /g, ' ');
  assert.match(prose, /-ldflags=-X main\.version=1\.2\.3: add what you need/);
  assert.match(prose, /docker build --platform linux\/arm64/);
});

function goNeed(id: GoNeed['id'], certainty: GoNeed['certainty'] = 'certain'): GoNeed {
  return { id, paths: [], evidence: [`evidence-of-${id}`], certainty, match: 'all', reason: `reason-of-${id}`, env: [], fix: `fix-of-${id}` };
}

test('dockerfile: a musl builder installs what the final stage copies; a shell need moves the final stage to alpine', () => {
  const musl = parseChecked(
    generateDockerfile(
      constructed({
        cgoCulprits: [{ package: 'github.com/mattn/go-sqlite3', module: 'github.com/mattn/go-sqlite3', fix: 'replace github.com/mattn/go-sqlite3 with modernc.org/sqlite' }],
        needs: [goNeed('ca-certificates'), goNeed('tzdata', 'likely')],
      }),
    ),
  );
  assert.equal(args(musl.stages[0], 'RUN')[0], 'apk add --no-cache build-base ca-certificates tzdata');
  assert.deepEqual(args(musl.stages[1], 'COPY').slice(0, 2), [CA_COPY, ZONEINFO_COPY]);

  const shellText = generateDockerfile(constructed({ needs: [goNeed('shell', 'likely'), goNeed('passwd'), goNeed('tmp', 'likely'), goNeed('exec')] }));
  const shell = parseChecked(shellText);
  assert.equal(shell.stages[1]?.from.getImage(), 'alpine:3.20');
  // alpine has /tmp; the user is added with its own tools; nothing is staged in the builder.
  assert.equal(args(shell.stages[0], 'RUN').length, 1);
  assert.deepEqual(args(shell.stages[1], 'RUN'), ['addgroup -S -g 65532 nonroot && adduser -S -D -H -u 65532 -G nonroot nonroot']);
  assert.match(shellText.replace(/\n# /g, ' '), /Not added: it reason-of-exec \(evidence-of-exec\)\. To do: fix-of-exec\./);
});

test('dockerfile: hostile names and flags stay inside comments and quoted words', () => {
  const text = generateDockerfile(
    constructed({
      origin: { kind: 'binary', path: 'evil\nRUN rm -rf /' },
      originalLdflags: '-X "main.x=a\nRUN curl x"',
      binaryName: 'tool',
    }),
  );
  const { dockerfile } = parseChecked(text);
  assert.ok(!dockerfile.getInstructions().some((i) => /rm -rf|curl/.test(i.getArgumentsContent() ?? '')));
  assert.equal(extraLdflags('-s -w -linkmode external -extldflags -static -X a=b'), '-X a=b');
});

/** Runs the RUN go build line of a generated Dockerfile in the program's source, with /out redirected. */
async function runBuildLine(text: string, sourceDir: string, outDir: string, extraEnv: Record<string, string> = {}): Promise<void> {
  const runLines = parseChecked(text).stages[0]?.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '') ?? [];
  const build = runLines.find((l) => / go build /.test(l));
  assert.ok(build, 'no go build line');
  const command = build.replaceAll('/out/', `${outDir}/`);
  const env = { ...goEnv(), ...extraEnv, PATH: `${dirname(goBinary('go1.23'))}:${process.env.PATH ?? ''}`, TARGETOS: 'linux', TARGETARCH: 'amd64' };
  const result = await run('sh', ['-c', command], { cwd: sourceDir, env, timeoutMs: 300_000 });
  assert.equal(result.code, 0, `${command}\n${result.stderr}`);
}

async function needIds(path: string): Promise<string[]> {
  return withFile(path, async (source) => {
    const opened = await openExecutable(source);
    const read = await readGoEvidence(opened!.layout, await readGoInfo(opened!.layout));
    return goRuntimeNeeds(read!.evidence).map((n) => n.id).sort();
  });
}

test('dockerfile: the generated build lines really make static binaries with the same needs', async () => {
  const out = await mkdtemp(join(tmpdir(), 'fromscratch-dockerfile-'));
  try {
    const cases: [fixtureName: string, program: string, env: Record<string, string>][] = [
      ['go-https-client', 'httpsclient', {}],
      ['go-osuser-cgo', 'osuser', {}],
      // The alpine builder's gcc targets musl; here musl-gcc plays that part.
      ['go-cgo-musl-static', 'cgomusl', { CC: 'musl-gcc' }],
    ];
    for (const [name, programDir, env] of cases) {
      const { text, facts } = await fromBinary(name);
      await runBuildLine(text, join(FIXTURE_SOURCES, 'go', programDir), out, env);
      const built = join(out, facts.binaryName);
      const verdict = await fileOracle(built);
      assert.equal(verdict.linkage, 'static', `${name}: file(1) says ${verdict.raw}`);
      assert.equal(verdict.stripped, true, `${name}: ${verdict.raw}`);
      assert.deepEqual(await needIds(built), await needIds(fixture(name)), name);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
