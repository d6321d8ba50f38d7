import { main } from './main.js';

// The executable entry: kept apart from main.ts so tests can import main() without running it.
process.exitCode = await main(process.argv.slice(2));
