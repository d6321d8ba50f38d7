import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import { goBinary, goEnv } from '../testing/fixture-key.js';
import { Rng } from '../testing/mutate.js';
import { run } from '../testing/process.js';
import { formatGoVersionM } from './format.js';
import { parseModinfo } from './modinfo.js';

/**
 * Differential test of the modinfo grammar and the quoting of build
 * settings against Go itself: a tiny Go program runs
 * runtime/debug.ParseBuildInfo and BuildInfo.String (what `go version -m`
 * prints) on the same texts, hand-written and generated with every quoting
 * hazard, and our parse + format must give the same text or the same error.
 */

const ORACLE_PROGRAM = `package main

import (
	"encoding/json"
	"os"
	"runtime/debug"
)

func main() {
	var texts []string
	if err := json.NewDecoder(os.Stdin).Decode(&texts); err != nil {
		panic(err)
	}
	results := make([]map[string]string, 0, len(texts))
	for _, text := range texts {
		bi, err := debug.ParseBuildInfo(text)
		if err != nil {
			results = append(results, map[string]string{"error": err.Error()})
			continue
		}
		results = append(results, map[string]string{"text": bi.String()})
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		panic(err)
	}
}
`;

async function goParse(texts: readonly string[]): Promise<{ text?: string; error?: string }[]> {
  const dir = await mkdtemp(join(tmpdir(), 'fromscratch-modinfo-oracle-'));
  try {
    await writeFile(join(dir, 'go.mod'), 'module oracle\n\ngo 1.21\n');
    await writeFile(join(dir, 'main.go'), ORACLE_PROGRAM);
    const go = goBinary('go1.23');
    const built = await run(go, ['build', '-o', join(dir, 'oracle'), '.'], { cwd: dir, env: goEnv(), timeoutMs: 180_000 });
    assert.equal(built.code, 0, `building the Go oracle failed:\n${built.stderr}`);
    const result = await runWithStdin(join(dir, 'oracle'), JSON.stringify(texts));
    return JSON.parse(result) as { text?: string; error?: string }[];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `program` with `input` on its stdin (process.run has no stdin) and returns its stdout. */
function runWithStdin(program: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`oracle exited ${code}: ${Buffer.concat(err).toString('utf8')}`));
    });
    child.stdin.end(input);
  });
}

/** Our answer in the oracle's shape: BuildInfo.String() is our go version -m body without the tabs. */
function ourParse(text: string): { text?: string; error?: string } {
  try {
    const parsed = parseModinfo(text, 'f');
    const printed = formatGoVersionM('f', { version: 'v', versionSource: 'buildinfo', modinfo: text, cgo: null, packages: null, ...parsed });
    const body = printed.slice(printed.indexOf('\n') + 1);
    // Split on \n only: a regex with the m flag would also treat \r as a line end.
    return { text: body.split('\n').map((line) => (line.startsWith('\t') ? line.slice(1) : line)).join('\n') };
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return { error: e.message };
  }
}

/** "line N: what" from either side's error message. */
function errorCore(message: string): string {
  const m = /line \d+: .*/s.exec(message);
  return m ? m[0] : message;
}

const HAND_WRITTEN = [
  'path\tcmd/go\nbuild\t-buildmode=exe\nbuild\t-compiler=gc\nbuild\t-gcflags=cmd/...=-dwarf=false\nbuild\t-trimpath=true\n',
  'path\tx\nmod\tx\t(devel)\t\ndep\ta\tv1\th1:a=\n=>\tb\tv2\th1:b=\ndep\tc\tv3\n=>\t./c\t\t\nbuild\t-ldflags="-s -w"\n',
  'mod\tx\tv1\n=>\ty\tv2\th1:y=\n',
  'build\t`k`=`v v`\nbuild\t"a\\tb"="c\\"d"\nbuild\tk=\nbuild\tk2=""\n',
  'build\tX="\\a\\b\\f\\v\\x7f\\u00a0\\u00ad\\u2028\\U0001F600 "\n',
  'build\t"k"v\n',
  'build\tk=a b\n',
  'dep\ta\n',
  '=>\ta\tb\tc\n',
  'path\tno newline at the end',
  '',
];

const PIECES = ['a', 'Z', '0', '-', ',', '.', '=', ' ', '\t', '"', '`', '\\', '\r', 'é', '\u00a0', '\u00ad', '\u2028', '\x01', '\x7f', '😀'];
const ESCAPES = ['\\n', '\\t', '\\"', '\\\\', '\\x41', '\\xff', '\\u00e9', '\\u2028', '\\U0001F600', '\\101', '\\q', '\\400', '\\ud800', '\\x4'];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.below(items.length)] as T;
}
function word(rng: Rng, withEscapes: boolean): string {
  let s = '';
  for (let i = rng.below(6); i >= 0; i--) s += withEscapes && rng.below(3) === 0 ? pick(rng, ESCAPES) : pick(rng, PIECES);
  return s;
}
function keyOrValue(rng: Rng): string {
  switch (rng.below(4)) {
    case 0:
      return `"${word(rng, true)}"`;
    case 1:
      return '`' + word(rng, false) + '`';
    default:
      return word(rng, false).replace(/[\t]/g, 'T');
  }
}
function columns(rng: Rng): string {
  const n = 1 + rng.below(4);
  return Array.from({ length: n }, () => (rng.below(4) === 0 ? '' : word(rng, false).replace(/[\t\n]/g, ''))).join('\t');
}

function generated(count: number): string[] {
  const rng = new Rng(0x6f6d6f64);
  const texts: string[] = [];
  for (let t = 0; t < count; t++) {
    const lines: string[] = [];
    for (let l = rng.below(6); l >= 0; l--) {
      switch (rng.below(7)) {
        case 0:
          lines.push(`path\t${word(rng, false).replace(/\n/g, '')}`);
          break;
        case 1:
          lines.push(`mod\t${columns(rng)}`);
          break;
        case 2:
          lines.push(`dep\t${columns(rng)}`);
          break;
        case 3:
          lines.push(`=>\t${columns(rng)}`);
          break;
        case 4:
          lines.push(`junk ${word(rng, false)}`);
          break;
        default:
          lines.push(`build\t${keyOrValue(rng)}=${keyOrValue(rng)}`);
      }
    }
    texts.push(lines.join('\n') + (rng.below(8) === 0 ? '' : '\n'));
  }
  return texts;
}

test('parseModinfo + formatGoVersionM agree with runtime/debug.ParseBuildInfo and BuildInfo.String', { timeout: 240_000 }, async () => {
  const texts = [...HAND_WRITTEN, ...generated(600)];
  const expected = await goParse(texts);
  assert.equal(expected.length, texts.length);
  let errors = 0;
  texts.forEach((text, i) => {
    const ours = ourParse(text);
    const theirs = expected[i] ?? {};
    if (theirs.error !== undefined) {
      errors++;
      assert.equal(ours.error === undefined ? undefined : errorCore(ours.error), errorCore(theirs.error), `text ${JSON.stringify(text)}`);
    } else {
      assert.deepEqual(ours, { text: theirs.text }, `text ${JSON.stringify(text)}`);
    }
  });
  // The generator must exercise both outcomes, or the comparison proves little.
  assert.ok(errors > 50 && errors < texts.length - 50, `errors ${errors} of ${texts.length}`);
});
