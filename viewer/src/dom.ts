// A tiny element builder: h('button', { class: 'x', onclick }, 'text', child).
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | null | undefined | false)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function download(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Children without the empty ones (for replaceChildren). */
export function kids(...xs: (Node | string | null | undefined | false)[]): (Node | string)[] {
  return xs.filter((x): x is Node | string => x !== null && x !== undefined && x !== false);
}

export const json = (v: unknown) => JSON.stringify(v);

/** After the next frame has been produced: a task queued from the frame's own callback. */
export const afterPaint = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));

/**
 * Runs `f` as soon as the next frame has been produced: a user-blocking task queued from the
 * frame's animation callback runs before the normal tasks queued there (afterPaint's).
 */
export function afterFrame(f: () => void): void {
  requestAnimationFrame(() => urgentTask(f));
}

/** Runs `f` in a task of its own, ahead of the normal tasks already queued (where the page's
 * scheduler has priorities: scheduler.postTask, user-blocking). */
export function urgentTask(f: () => void): void {
  const s = (globalThis as { scheduler?: { postTask(f: () => void, o: { priority: string }): unknown } }).scheduler;
  if (s) s.postTask(f, { priority: 'user-blocking' });
  else setTimeout(f, 0);
}
