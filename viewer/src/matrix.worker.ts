// Builds permission matrices off the page's thread (a source matrix explores every capability
// variant: most of a second).
import { getProfile, permissionMatrix, type Side } from '../../machines/index.ts';

self.onmessage = (e: MessageEvent<{ id: number; profile: string; side: Side }>) => {
  const { id, profile, side } = e.data;
  const post = (m: unknown) => (self as unknown as { postMessage(m: unknown): void }).postMessage(m);
  try {
    post({ id, matrix: permissionMatrix(getProfile(profile), side) });
  } catch (err) {
    post({ id, error: String((err as Error)?.message ?? err) });
  }
};
