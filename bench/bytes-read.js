#!/usr/bin/env node
// Counts the bytes `inspect` reads from a file, to show it reads by offset
// and never the whole binary. Prints one line.
import fs, { statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

// The report itself is not what we measure: inspect writes it to fd 1 with
// fs.writeSync (src/io/stdout.ts), so that is what is silenced, before the
// modules that import it are loaded.
const writeSync = fs.writeSync;
fs.writeSync = (fd, buffer, ...rest) => (fd === 1 ? (rest[1] ?? buffer.length - (rest[0] ?? 0)) : writeSync(fd, buffer, ...rest));
syncBuiltinESMExports();
const { FileSource } = await import('../dist/io/source.js');
const { main } = await import('../dist/cli/main.js');

const file = process.argv[2];
let calls = 0;
let bytes = 0;
// Both ways a file is read: into new memory, and into a reused chunk buffer.
const read = FileSource.prototype.read;
FileSource.prototype.read = function (offset, length) {
  if (this.name === file) {
    calls++;
    bytes += length;
  }
  return read.call(this, offset, length);
};
const readInto = FileSource.prototype.readInto;
FileSource.prototype.readInto = function (target, offset, length) {
  if (this.name === file) {
    calls++;
    bytes += length;
  }
  return readInto.call(this, target, offset, length);
};
await main(['inspect', '--json', file]);
fs.writeSync = writeSync;
syncBuiltinESMExports();
const size = statSync(file).size;
console.log(`bytes read by inspect: ${(bytes / 1e6).toFixed(2)} MB of ${(size / 1e6).toFixed(1)} MB in ${calls} reads (${((100 * bytes) / size).toFixed(1)}% of the file)`);
