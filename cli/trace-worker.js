// A worker of cli/trace-reader.ts: reduces blocks of whole trace lines (UTF-8 bytes) to records
// (trace/scan.ts: scanAndEncode). Plain JavaScript, so that it starts the same under the CLI,
// vitest and tsx: it loads scan.ts from the CLI's bundle when that is fresh (cli/bundle.js; it
// never builds one), else through tsx.
import { parentPort } from 'node:worker_threads';
import { bundled } from './bundle.js';

const b = await bundled({ build: false });
let scanAndEncode;
if (b) ({ scanAndEncode } = await import(b.scan));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ scanAndEncode } = await import('../trace/scan.ts'));
}
parentPort.on('message', ({ buf, len }) => {
  const e = scanAndEncode(Buffer.from(buf, 0, len), len);
  parentPort.postMessage(e, [e.ints.buffer]);
});
parentPort.postMessage('ready');
