// A local receiver for the viewer's inspector: a WebSocket server on 127.0.0.1 that prints every
// inspection event it gets (actor, event, snapshot), one line each. Nothing leaves the machine.
//   npx tsx viewer/inspect-receiver.ts [port]     (default 8080; then tick "forward" in the page)
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 8080);
const wss = new WebSocketServer({ host: '127.0.0.1', port });
wss.on('listening', () => console.log(`inspector receiver on ws://127.0.0.1:${port}`));
wss.on('connection', (ws: { on(e: 'message', f: (data: unknown) => void): void }) => {
  console.log('viewer connected');
  ws.on('message', (data: unknown) => {
    try {
      const e = JSON.parse(String(data)) as { type?: string; sessionId?: string; event?: unknown; snapshot?: { value?: unknown } };
      const what = e.type === '@xstate.snapshot' ? JSON.stringify(e.snapshot?.value) : e.type === '@xstate.event' ? JSON.stringify(e.event) : '';
      console.log(`${e.type} ${e.sessionId ?? ''} ${what}`);
    } catch {
      console.log(String(data).slice(0, 200));
    }
  });
});
