/// <reference types="vite/client" />
// Types for Vite's import suffixes (`?url`, `?worker`) and import.meta.env in the viewer.

declare module 'virtual:migstate-layouts' {
  const layouts: Record<string, import('../diagrams/layout.ts').LayoutData>;
  export default layouts;
}

// `ws` ships without types (no @types/ws here); the little of it inspect-receiver.ts uses.
declare module 'ws' {
  import type { EventEmitter } from 'node:events';
  export class WebSocketServer extends EventEmitter {
    constructor(opts: { host?: string; port?: number });
    close(): void;
  }
}
