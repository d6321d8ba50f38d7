#!/usr/bin/env node
// stdin → our parallel gzip (src/layer/gzip.ts) → stdout, at the level given
// as the first argument: the command bench/build.js times against pigz and gzip.
import { pipeline } from 'node:stream/promises';
import { gzipParallel } from '../dist/layer/gzip.js';

const level = Number(process.argv[2] ?? 6);
await pipeline(gzipParallel(process.stdin, { level }), process.stdout);
