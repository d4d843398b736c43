// A worker of trace/parallel.ts: parses blocks of trace lines into flat records with
// trace/extract.ts. Plain JavaScript so that it starts the same under the CLI, vitest and tsx:
// it registers tsx itself to load the TypeScript parser.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { parseBlock } = await import('./extract.ts');
parentPort.on('message', (text) => parentPort.postMessage(parseBlock(text)));
