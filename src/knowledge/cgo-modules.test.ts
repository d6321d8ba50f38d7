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
  // Only the pcap package of gopacket uses cgo: its siblings are pure Go.
  assert.equal(findCgoModule('github.com/google/gopacket/pcap')?.module, 'github.com/google/gopacket/pcap');
  assert.equal(findCgoModule('github.com/google/gopacket/layers'), undefined);
  assert.equal(findCgoModule('github.com/google/gopacket/pcapgo'), undefined);
  assert.equal(findCgoModule('github.com/mattn/go-sqlite3x'), undefined);
  assert.equal(findCgoModule('github.com/mattn'), undefined);
  assert.equal(findCgoModule('net'), undefined);
  assert.deepEqual(findCgoModule('github.com/marcboeker/go-duckdb')?.replacements, []);
});
