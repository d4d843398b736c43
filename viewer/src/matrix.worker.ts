// Builds permission matrices and their diffs off the page's thread (a source matrix explores every
// capability variant: most of a second). The diff is machines/matrix.ts matrixDiff, the same code
// the tests check against the model, so the page classifies nothing itself.
import { loadProfile, type Side } from '../../machines/index.ts';
import { matrixDiff, permissionMatrix } from '../../machines/matrix.ts';

export type MatrixQuery = { side: Side } & ({ profile: string } | { a: string; b: string });
type MatrixRequest = MatrixQuery & { id: number };

self.onmessage = async (e: MessageEvent<MatrixRequest>) => {
  const m = e.data;
  const post = (x: unknown) => (self as unknown as { postMessage(m: unknown): void }).postMessage(x);
  try {
    // A later profile's delta is fetched on first use (package.json "imports": deltas-lazy.ts).
    if ('profile' in m) post({ id: m.id, matrix: permissionMatrix(await loadProfile(m.profile), m.side) });
    else post({ id: m.id, diff: matrixDiff(await loadProfile(m.a), await loadProfile(m.b), m.side) });
  } catch (err) {
    post({ id: m.id, error: String((err as Error)?.message ?? err) });
  }
};
