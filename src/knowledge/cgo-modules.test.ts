import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CGO_MODULES, findCgoModule } from './cgo-modules.js';

test('the table has one entry per module, each with a note and no self-replacement', () => {
  const seen = new Set<string>();
  for (const entry of CGO_MODULES) {
    assert.ok(!seen.has(entry.module), `duplicate entry ${entry.module}`);
    seen.add(entry.module);
    assert.ok(entry.note.length > 0, `${entry.module} has a note`);
    assert.equal(new Set(entry.replacements).size, entry.replacements.length, `${entry.module}: replacements repeat`);
    for (const r of entry.replacements) assert.ok(findCgoModule(r) === undefined, `${entry.module}: replacement ${r} is itself a cgo module`);
    assert.match(entry.module, /^[a-z0-9.-]+\.[a-z]+\/[^\s]+$/i, `${entry.module} looks like a module path`);
  }
});

test('lookups by module, subpackage and major-version suffix find the module; near misses do not', () => {
  assert.equal(findCgoModule('github.com/mattn/go-sqlite3')?.module, 'github.com/mattn/go-sqlite3');
  assert.deepEqual(findCgoModule('github.com/mattn/go-sqlite3')?.replacements, ['modernc.org/sqlite', 'github.com/ncruces/go-sqlite3']);
  assert.equal(findCgoModule('github.com/confluentinc/confluent-kafka-go/v2/kafka')?.module, 'github.com/confluentinc/confluent-kafka-go');
  assert.equal(findCgoModule('github.com/libgit2/git2go/v34')?.module, 'github.com/libgit2/git2go');
  assert.equal(findCgoModule('gocv.io/x/gocv/cuda')?.module, 'gocv.io/x/gocv');
  // Only pcap, afpacket and pfring of gopacket use cgo: its other packages are pure Go.
  assert.equal(findCgoModule('github.com/google/gopacket/pcap')?.module, 'github.com/google/gopacket/pcap');
  assert.equal(findCgoModule('github.com/google/gopacket/layers'), undefined);
  assert.equal(findCgoModule('github.com/google/gopacket/pcapgo'), undefined);
  assert.equal(findCgoModule('github.com/mattn/go-sqlite3x'), undefined);
  assert.equal(findCgoModule('github.com/mattn'), undefined);
  assert.equal(findCgoModule('net'), undefined);
  assert.deepEqual(findCgoModule('github.com/marcboeker/go-duckdb')?.replacements, []);
});

test('every entry records its source check: an object or null, and a checked cgoFile names a .go file', () => {
  for (const entry of CGO_MODULES) {
    assert.ok('checked' in entry, `${entry.module} has a checked field`);
    const { checked } = entry;
    if (checked === null) continue;
    assert.equal(typeof checked, 'object', `${entry.module}: checked is an object or null`);
    if (checked.cgoFile !== undefined) {
      assert.match(checked.cgoFile, /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+:(?:[^\s:/]+\/)*[^\s:/]+\.go$/, `${entry.module}: cgoFile ${checked.cgoFile} is owner/repo:path.go`);
    }
    if (checked.replacementsPureGo !== undefined) {
      assert.equal(typeof checked.replacementsPureGo, 'boolean', `${entry.module}: replacementsPureGo is a boolean`);
      assert.ok(entry.replacements.length > 0, `${entry.module}: replacementsPureGo set without replacements`);
    }
    if (checked.note !== undefined) assert.ok(checked.note.length > 0, `${entry.module}: an empty check note`);
  }
});

test('packages added after checking are found; pure-Go siblings are not', () => {
  assert.equal(findCgoModule('github.com/google/gopacket/afpacket')?.module, 'github.com/google/gopacket/afpacket');
  assert.equal(findCgoModule('github.com/gopacket/gopacket/afpacket'), undefined);
  assert.equal(findCgoModule('github.com/duckdb/duckdb-go/v2')?.module, 'github.com/duckdb/duckdb-go');
  assert.equal(findCgoModule('libvirt.org/libvirt-go')?.module, 'libvirt.org/libvirt-go');
  assert.equal(findCgoModule('libvirt.org/go/libvirt')?.module, 'libvirt.org/go/libvirt');
});
