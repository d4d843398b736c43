// ELK in a worker (elkjs's own worker script, served from this origin), for layouts the build did not
// compute. A module of its own, imported only when first needed (layouts.ts): elkjs's API is
// CommonJS, and its interop (rolldown's runtime chunk) then comes with it, not with the page.
import ElkModule from 'elkjs/lib/elk-api.js';
import elkWorkerUrl from 'elkjs/lib/elk-worker.min.js?url';
import { elkConstructor, type ElkLike } from '../../diagrams/layout.ts';

export function startElk(): ElkLike {
  return new (elkConstructor(ElkModule))({ workerFactory: () => new Worker(elkWorkerUrl) });
}
