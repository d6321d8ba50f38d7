import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openExecutable } from '../binary/open.js';
import { FormatError, InputError } from '../errors.js';
import { withFile } from '../io/source.js';
import { forEachFunctionName, nameChunk } from './funcnames.js';
import { forEachFunctabName } from './functab.js';
import { MAX_FUNCTION_NAME, readPclntabHeader } from './pclntab-header.js';
import { readGoPackages } from './packages.js';
import { packageOfFunction } from './function-name.js';
import { findPclntab, type PclntabInfo } from './pclntab.js';
import { fixture } from '../testing/fixtures.js';
import { goBinary, goEnv } from '../testing/fixture-key.js';
import { pclntabWithFunctions, type SyntheticFunction } from '../testing/go-synthetic.js';
import { mutate, Rng } from '../testing/mutate.js';
import { run } from '../testing/process.js';
import { syntheticFile } from '../testing/synthetic-layout.js';

const LAYOUTS = [
  [0xfffffffb, 'go1.2-1.15'],
  [0xfffffffa, 'go1.16-1.17'],
  [0xfffffff0, 'go1.18-1.19'],
  [0xfffffff1, 'go1.20+'],
] as const;

const FUNCTIONS: SyntheticFunction[] = [
  { name: 'runtime.main', cu: 0, inlined: ['runtime.lock', 'os/signal.signal_ignored'] },
  { name: 'runtime.lock', cu: 0 },
  { name: 'main.main', cu: 1, inlined: ['fmt.Println', 'runtime.lock'] },
  { name: 'fmt.Println', cu: 2, inlined: ['gopkg.in/yaml%2ev3.Marshal'] },
  { name: 'example.com/x.(*List[...]).Push', cu: 3 },
];

function layoutFor(magic: number, ptrSize: 4 | 8, bigEndian: boolean, functions: readonly SyntheticFunction[] = FUNCTIONS) {
  return syntheticFile([{ name: '.gopclntab', vaddr: 0x500000n, bytes: pclntabWithFunctions(magic, ptrSize, bigEndian, functions) }], {
    pointerSize: ptrSize,
    littleEndian: !bigEndian,
  });
}

async function collect(magic: number, ptrSize: 4 | 8, bigEndian: boolean, functions: readonly SyntheticFunction[] = FUNCTIONS) {
  const layout = layoutFor(magic, ptrSize, bigEndian, functions).layout();
  const pcln = await findPclntab(layout);
  assert.ok(pcln, 'the synthetic table validates');
  const names: [string, number | undefined, boolean | undefined][] = [];
  await forEachFunctionName(layout, pcln, (name, cu, inlined) => names.push([name, cu, inlined]));
  const functab: string[] = [];
  await forEachFunctabName(layout, pcln, (name) => functab.push(name));
  return { names, functab };
}

for (const [magic, range] of LAYOUTS) {
  for (const [ptrSize, bigEndian] of [[8, false], [4, true], [4, false], [8, true]] as const) {
    test(`${range} (${ptrSize * 8}-bit ${bigEndian ? 'big' : 'little'}-endian): every function name, in table order`, async () => {
      const { names, functab } = await collect(magic, ptrSize, bigEndian);
      assert.deepEqual(
        functab,
        FUNCTIONS.map((f) => f.name),
      );
      if (magic === 0xfffffffb) {
        // No name table before 1.16: the functab's names, without units.
        assert.deepEqual(names, FUNCTIONS.map((f) => [f.name, undefined, undefined]));
        return;
      }
      // The name table: each name once, inlined-only names after the function they were inlined into, with its unit.
      assert.deepEqual(names, [
        ['runtime.main', 0, false],
        ['runtime.lock', 0, false],
        ['os/signal.signal_ignored', 0, true],
        ['main.main', 1, false],
        ['fmt.Println', 2, false],
        ['gopkg.in/yaml%2ev3.Marshal', 2, true],
        ['example.com/x.(*List[...]).Push', 3, false],
      ]);
    });
  }
}

test('header words are read per layout and bounded by the table', async () => {
  for (const [magic] of LAYOUTS) {
    const layout = layoutFor(magic, 8, false).layout();
    const pcln = (await findPclntab(layout)) as PclntabInfo;
    const header = await readPclntabHeader(layout, pcln);
    assert.equal(header.nfunc, FUNCTIONS.length);
    assert.equal(header.functabFieldSize, magic === 0xfffffff0 || magic === 0xfffffff1 ? 4 : 8);
    if (magic === 0xfffffffb) {
      assert.equal(header.funcnameOffset, undefined);
      assert.equal(header.functabOffset, 16);
    } else {
      const headerBytes = 8 + (magic === 0xfffffffa ? 7 : 8) * 8;
      assert.equal(header.funcnameOffset, headerBytes);
      assert.ok((header.cuOffset as number) > headerBytes && (header.cuOffset as number) < pcln.size);
    }
    // A count no table of this size can hold is refused before anything is allocated for it.
    await assert.rejects(readPclntabHeader(layout, { ...pcln, size: 40 }), (e) => e instanceof FormatError);
  }
});

test('names cut by the 1 MiB read chunks, and names not ASCII, come out whole, with their units', async () => {
  // ~1.5 MiB of names so at least one crosses a chunk boundary, in both the name table and the functab walk.
  const functions: SyntheticFunction[] = [];
  // Some names not ASCII, near and far apart, so the search for the next such byte is tried at every distance.
  const accent = (i: number): string => (i % 97 === 0 || i % 1000 === 1 || i % 1000 === 2 ? '\u00fc\u00b7' : '');
  for (let i = 0; functions.length < 6_000; i++) functions.push({ name: `example.com/pkg${i % 7}.Function_${i}${accent(i)}_${'x'.repeat(200 + (i % 23))}`, cu: i % 7 });
  for (const magic of [0xfffffff1, 0xfffffffb]) {
    const { names, functab } = await collect(magic, 8, false, functions);
    assert.deepEqual(functab, functions.map((f) => f.name));
    assert.deepEqual(
      names.map(([n]) => n),
      functions.map((f) => f.name),
    );
    if (magic === 0xfffffff1) assert.deepEqual(names.map(([, cu]) => cu), functions.map((f) => f.cu));
  }
});

test('a name without its NUL within the limit is a FormatError, not a hang or a huge string', async () => {
  const long = `main.${'a'.repeat(70_000)}`;
  const limited = (e: unknown): boolean => e instanceof FormatError && e.message.startsWith('synthetic: pclntab') && /longer than|no NUL within/.test(e.message);
  for (const magic of [0xfffffff1, 0xfffffffb]) {
    // Last in the table, in the middle of it, and just within the limit (accepted).
    for (const [functions, ok] of [
      [[{ name: 'main.main' }, { name: long }], false],
      [[{ name: 'main.main' }, { name: long }, { name: 'main.f' }], false],
      [[{ name: 'main.main' }, { name: long.slice(0, MAX_FUNCTION_NAME - 1) }, { name: 'main.f' }], true],
    ] as const) {
      const layout = layoutFor(magic, 8, false, functions).layout();
      const pcln = (await findPclntab(layout)) as PclntabInfo;
      // Both readers of the table: one name at a time, and the package list's runs.
      for (const read of [() => forEachFunctionName(layout, pcln, () => {}), () => readGoPackages(layout, null, pcln)]) {
        if (ok) await read();
        else await assert.rejects(read(), limited);
      }
    }
  }
});

/**
 * The oracle: Go's own debug/gosym, fed the pclntab that debug/elf,
 * debug/macho or debug/pe find, printing each function's name in functab
 * order.
 */
const GOSYM_PROGRAM = String.raw`package main

import (
	"bufio"
	"debug/elf"
	"debug/gosym"
	"debug/macho"
	"debug/pe"
	"fmt"
	"os"
	"strings"
)

func pclntab(path string) ([]byte, error) {
	if f, err := elf.Open(path); err == nil {
		for _, s := range f.Sections {
			if strings.HasSuffix(s.Name, ".gopclntab") {
				return s.Data()
			}
		}
		return nil, fmt.Errorf("no .gopclntab")
	}
	if f, err := macho.Open(path); err == nil {
		if s := f.Section("__gopclntab"); s != nil {
			return s.Data()
		}
		return nil, fmt.Errorf("no __gopclntab")
	}
	f, err := pe.Open(path)
	if err != nil {
		return nil, err
	}
	var start, end uint32
	var sect int16
	for _, s := range f.Symbols {
		switch s.Name {
		case "runtime.pclntab":
			start, sect = s.Value, s.SectionNumber
		case "runtime.epclntab":
			end = s.Value
		}
	}
	if sect <= 0 || end <= start {
		return nil, fmt.Errorf("no runtime.pclntab symbol")
	}
	data, err := f.Sections[sect-1].Data()
	if err != nil {
		return nil, err
	}
	return data[start:end], nil
}

func main() {
	data, err := pclntab(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(data, 0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	for _, fn := range table.Funcs {
		fmt.Fprintln(out, fn.Name)
	}
	out.Flush()
}
`;

let oracle: Promise<string> | undefined;
function gosymOracle(): Promise<string> {
  oracle ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fromscratch-gosym-oracle-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'go.mod'), 'module example.com/gosymoracle\n\ngo 1.19\n');
    await writeFile(join(dir, 'main.go'), GOSYM_PROGRAM);
    const out = join(dir, 'oracle');
    const built = await run(goBinary('go1.23'), ['build', '-o', out, '.'], { cwd: dir, env: { ...goEnv(), CGO_ENABLED: '0' }, timeoutMs: 300_000 });
    if (built.code !== 0) throw new Error(`building the debug/gosym oracle failed:\n${built.stderr}`);
    return out;
  })();
  return oracle;
}

// Both table generations we have toolchains for, every container format, both endians, stripped and PIE.
const REAL = [
  'go-net-cgo',
  'go-static-go119',
  'go-stripped',
  'go-pie-cgo',
  'go-cgo-musl-static',
  'go-static-s390x',
  'go-static-ppc64',
  'go-static-386-go119',
  'go-darwin-amd64',
  'go-darwin-amd64-go119',
  'go-windows-amd64',
  'go-windows-386',
];

test("real binaries: the functab's names match debug/gosym's, and the name table holds every one of them", async () => {
  const binary = await gosymOracle();
  for (const name of REAL) {
    const path = fixture(name);
    const expected = await run(binary, [path], { timeoutMs: 60_000 });
    assert.equal(expected.code, 0, `${name}: ${expected.stderr}`);
    const oracleNames = expected.stdout.split('\n').filter((l) => l !== '');
    await withFile(path, async (source) => {
      const opened = await openExecutable(source);
      assert.ok(opened, name);
      const pcln = await findPclntab(opened.layout);
      assert.ok(pcln, `${name}: pclntab found`);
      const functab: string[] = [];
      await forEachFunctabName(opened.layout, pcln, (n) => functab.push(n));
      assert.deepEqual(functab, oracleNames, `${name}: functab names`);

      const own = new Set<string>();
      const inlined = new Set<string>();
      const withoutUnit: string[] = [];
      await forEachFunctionName(opened.layout, pcln, (n, cu, isInlined) => {
        (isInlined ? inlined : own).add(n);
        if (cu === undefined) withoutUnit.push(n);
      });
      // The name table is exactly the functab's names (each once) plus names of inlined-only functions.
      assert.deepEqual([...own].sort(), [...new Set(oracleNames)].sort(), `${name}: name table vs functab`);
      assert.ok(inlined.size > 0, `${name}: inlined functions are named too`);
      for (const n of inlined) assert.ok(!own.has(n), `${name}: ${n} is either a function or inlined-only`);
      // Every Go function has a unit; only some of the linker's own (C, assembler) functions have none.
      const goWithoutUnit = withoutUnit.filter((n) => packageOfFunction(n) !== undefined);
      assert.deepEqual(goWithoutUnit, [], `${name}: Go functions without a unit`);
    });
  }
});

test('fuzz: corrupted tables of every layout give names or an InputError, never another exception', async () => {
  const rounds = 150;
  for (const [magic, range] of LAYOUTS) {
    const file = layoutFor(magic, 8, false);
    const start = file.offsets.get('.gopclntab') ?? 0;
    const hot: [number, number][] = [[start, start + 80]];
    const rng = new Rng(0xf00d + magic);
    const pristine = (await findPclntab(file.layout())) as PclntabInfo;
    for (let round = 0; round < rounds; round++) {
      const layout = file.layout(mutate(file.bytes, rng, hot));
      // Once through findPclntab (validated header), once with the header taken on trust.
      for (const pcln of [await findPclntab(layout).catch(() => undefined), { ...pristine, size: Math.min(pristine.size, layout.source.size - pristine.offset) }]) {
        if (!pcln || pcln.size < 0) continue;
        for (const walk of [forEachFunctionName, forEachFunctabName]) {
          try {
            let count = 0;
            await walk(layout, pcln, () => {
              count++;
            });
            assert.ok(count <= file.bytes.length, `${range} round ${round}: no more names than bytes`);
          } catch (e) {
            assert.ok(e instanceof InputError, `${range} round ${round} threw ${String(e)}`);
          }
        }
      }
    }
  }
});

test('nameChunk: asciiBefore is where the first byte >= 0x80 is, the whole chunk when there is none', () => {
  const chunkOf = (bytes: Buffer) => nameChunk(bytes, bytes.toString('latin1'), 0);
  const ascii = Buffer.from('main.main\0runtime.gopark\0', 'latin1');
  assert.equal(chunkOf(ascii).asciiBefore, ascii.length);
  // A middle dot in a generated name (UTF-8 C2 B7), after two ASCII names.
  const dotted = Buffer.concat([ascii, Buffer.from('type:.eq.runtime.x\u00b74\0', 'utf8')]);
  assert.equal(chunkOf(dotted).asciiBefore, dotted.indexOf(0xc2));
  // Every high byte counts, 0x80 and 0xff among them, wherever it is.
  for (const high of [0x80, 0xc2, 0xff]) {
    for (const at of [0, 5, ascii.length - 1]) {
      const bytes = Buffer.from(ascii);
      bytes[at] = high;
      assert.equal(chunkOf(bytes).asciiBefore, at, `0x${high.toString(16)} at ${at}`);
    }
  }
  assert.equal(chunkOf(Buffer.alloc(0)).asciiBefore, 0);
});
