#!/usr/bin/env node
// The `migstate` command. The code is TypeScript: it runs from a bundle esbuild makes on first use
// and remakes when a source changes (cli/bundle.js), else tsx compiles it on the fly. Either way
// the CLI works right after `npm ci` with no build step.
import { bundled } from './bundle.js';

const b = await bundled();
let main;
try {
  if (b) ({ main } = await import(b.main));
} catch {
  // A bundle that does not load (removed under our feet, say): the sources, through tsx.
}
if (!main) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
