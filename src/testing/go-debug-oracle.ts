/**
 * An independent reader to check our Mach-O and PE parsers against: Go's
 * standard library packages debug/macho and debug/pe, in a small program
 * built once per test process. It prints what those packages see (sections,
 * segments, symbol addresses) as JSON; 64-bit values travel as decimal
 * strings so nothing is rounded on the way.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goBinary, goEnv } from './fixture-key.js';
import { run } from './process.js';

const PROGRAM = String.raw`package main

import (
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

type section struct {
	Name    string
	Segment string
	Addr    string
	Size    string
	Offset  uint32
	Flags   uint32
	RawSize uint32
}

type segment struct {
	Name    string
	Addr    string
	MemSize string
	Offset  string
	Size    string
	Maxprot uint32
	Prot    uint32
}

type report struct {
	Kind     string
	Cpu      uint32
	Type     uint32
	Flags    uint32
	Arches   []uint32
	Sections []section
	Segments []segment
	Libs     []string
	Imports  []string
	Symbols  map[string]string
	NSyms    int
	Machine  uint16
	Chars    uint16
	Magic    uint16
	Base     string
}

func u(v uint64) string { return strconv.FormatUint(v, 10) }

func machoReport(f *macho.File, names []string, r *report) {
	r.Cpu, r.Type, r.Flags = uint32(f.Cpu), uint32(f.Type), f.Flags
	for _, s := range f.Sections {
		r.Sections = append(r.Sections, section{Name: s.Name, Segment: s.Seg, Addr: u(s.Addr), Size: u(s.Size), Offset: s.Offset, Flags: s.Flags})
	}
	for _, l := range f.Loads {
		if s, ok := l.(*macho.Segment); ok {
			r.Segments = append(r.Segments, segment{Name: s.Name, Addr: u(s.Addr), MemSize: u(s.Memsz), Offset: u(s.Offset), Size: u(s.Filesz), Maxprot: s.Maxprot, Prot: s.Prot})
		}
	}
	r.Libs, _ = f.ImportedLibraries()
	r.Symbols = map[string]string{}
	if f.Symtab != nil {
		r.NSyms = len(f.Symtab.Syms)
		for _, name := range names {
			for _, s := range f.Symtab.Syms {
				if s.Name == name && s.Sect != 0 {
					r.Symbols[name] = u(s.Value)
					break
				}
			}
		}
	}
}

func peReport(f *pe.File, names []string, r *report) {
	r.Kind = "pe"
	r.Machine, r.Chars = f.Machine, f.Characteristics
	var base uint64
	switch h := f.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		r.Magic, base = h.Magic, uint64(h.ImageBase)
	case *pe.OptionalHeader64:
		r.Magic, base = h.Magic, h.ImageBase
	}
	r.Base = u(base)
	for _, s := range f.Sections {
		r.Sections = append(r.Sections, section{Name: s.Name, Addr: u(base + uint64(s.VirtualAddress)), Size: u(uint64(s.VirtualSize)), Offset: s.Offset, Flags: s.Characteristics, RawSize: s.Size})
	}
	// debug/pe's ImportedLibraries is a stub; the DLLs show in ImportedSymbols as "symbol:dll".
	if syms, err := f.ImportedSymbols(); err == nil {
		seen := map[string]bool{}
		for _, s := range syms {
			if i := strings.LastIndex(s, ":"); i >= 0 && !seen[s[i+1:]] {
				seen[s[i+1:]] = true
				r.Imports = append(r.Imports, s[i+1:])
			}
		}
	}
	r.Symbols = map[string]string{}
	r.NSyms = len(f.Symbols)
	for _, name := range names {
		for _, s := range f.Symbols {
			if s.Name == name && s.SectionNumber > 0 && int(s.SectionNumber) <= len(f.Sections) {
				r.Symbols[name] = u(base + uint64(f.Sections[s.SectionNumber-1].VirtualAddress) + uint64(s.Value))
				break
			}
		}
	}
}

func main() {
	path, names := os.Args[1], os.Args[2:]
	r := &report{}
	if ff, err := macho.OpenFat(path); err == nil {
		r.Kind = "fat"
		for _, a := range ff.Arches {
			r.Arches = append(r.Arches, uint32(a.Cpu))
		}
		machoReport(ff.Arches[0].File, names, r)
	} else if f, err := macho.Open(path); err == nil {
		r.Kind = "macho"
		machoReport(f, names, r)
	} else if f, err := pe.Open(path); err == nil {
		peReport(f, names, r)
	} else {
		fmt.Fprintln(os.Stderr, "neither Mach-O nor PE:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}
`;

export interface OracleSection {
  Name: string;
  Segment: string;
  /** Mach-O: address; PE: ImageBase + VirtualAddress. Decimal. */
  Addr: string;
  /** Mach-O: size; PE: VirtualSize. Decimal. */
  Size: string;
  Offset: number;
  Flags: number;
  /** PE: SizeOfRawData. */
  RawSize: number;
}

export interface OracleSegment {
  Name: string;
  Addr: string;
  MemSize: string;
  Offset: string;
  Size: string;
  Maxprot: number;
  Prot: number;
}

export interface OracleReport {
  Kind: 'macho' | 'fat' | 'pe';
  Cpu: number;
  Type: number;
  Flags: number;
  Arches: number[] | null;
  Sections: OracleSection[] | null;
  Segments: OracleSegment[] | null;
  Libs: string[] | null;
  /** PE: the DLLs of debug/pe's ImportedSymbols, first appearance order. */
  Imports: string[] | null;
  /** Name → address (decimal) of each requested symbol that is defined. */
  Symbols: Record<string, string>;
  NSyms: number;
  Machine: number;
  Chars: number;
  Magic: number;
  Base: string;
}

let built: Promise<string> | undefined;

/** Builds the oracle program once per process; returns the path of the executable. */
function oracleBinary(): Promise<string> {
  built ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fromscratch-go-debug-oracle-'));
    // Exit handlers cannot wait, so the clean-up is synchronous.
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'go.mod'), 'module example.com/debugoracle\n\ngo 1.19\n');
    await writeFile(join(dir, 'main.go'), PROGRAM);
    const out = join(dir, 'oracle');
    const result = await run(goBinary('go1.23'), ['build', '-o', out, '.'], { cwd: dir, env: { ...goEnv(), CGO_ENABLED: '0' }, timeoutMs: 300_000 });
    if (result.code !== 0) throw new Error(`building the debug/macho + debug/pe oracle failed:\n${result.stderr}`);
    return out;
  })();
  return built;
}

/** What Go's debug/macho or debug/pe reports for `path`, with the addresses of the named symbols. */
export async function goDebugOracle(path: string, symbols: readonly string[] = []): Promise<OracleReport> {
  const binary = await oracleBinary();
  const result = await run(binary, [path, ...symbols]);
  if (result.code !== 0) throw new Error(`go debug oracle failed on ${path}: ${result.stderr}`);
  return JSON.parse(result.stdout) as OracleReport;
}
