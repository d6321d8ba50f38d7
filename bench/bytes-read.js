#!/usr/bin/env node
// Counts the bytes `inspect` reads from a file, to show it reads by offset
// and never the whole binary. Prints one line.
import { statSync } from 'node:fs';
import { FileSource } from '../dist/io/source.js';
import { main } from '../dist/cli/main.js';

const file = process.argv[2];
let calls = 0;
let bytes = 0;
const read = FileSource.prototype.read;
FileSource.prototype.read = function (offset, length) {
  if (this.name === file) {
    calls++;
    bytes += length;
  }
  return read.call(this, offset, length);
};
const out = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true; // the report itself is not what we measure
await main(['inspect', '--json', file]);
process.stdout.write = out;
const size = statSync(file).size;
console.log(`bytes read by inspect: ${(bytes / 1e6).toFixed(2)} MB of ${(size / 1e6).toFixed(1)} MB in ${calls} reads (${((100 * bytes) / size).toFixed(1)}% of the file)`);
