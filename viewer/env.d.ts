/// <reference types="vite/client" />
// Types for Vite's import suffixes (`?url`, `?worker`) and import.meta.env in the viewer.

/** Layouts computed at build time, by profile (vite.config.ts: prelayout). */
declare module 'virtual:migstate-layouts' {
  /** Profile → a loader of its chunk, whose default export is JSON of Record<layoutKey, LayoutData>. */
  const byProfile: Record<string, () => Promise<{ default: string }>>;
  export default byProfile;
}

// `ws` ships without types (no @types/ws here); the little of it inspect-receiver.ts uses.
declare module 'ws' {
  import type { EventEmitter } from 'node:events';
  export class WebSocketServer extends EventEmitter {
    constructor(opts: { host?: string; port?: number });
    close(): void;
  }
}
