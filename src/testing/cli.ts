import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI as a user runs it (`node bin/fromscratch.cjs ...`), for tests that run the whole command. */
export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'fromscratch.cjs');
