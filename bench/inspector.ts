import { WebSocket } from 'undici';

/*
 * Just enough of the Chrome DevTools protocol to weigh a BFF's heap from outside: a full garbage
 * collection, then the bytes of live objects. Used for the memory cost of one open event stream
 * and one idempotency record (the BFF is started with `inspect`, see processes.ts).
 */

export interface Inspector {
  /** Live JavaScript heap in bytes, right after a full GC. */
  liveHeapBytes(): Promise<number>;
  close(): void;
}

export async function connectInspector(url: string): Promise<Inspector> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => {
      resolve();
    });
    socket.addEventListener('error', () => {
      reject(new Error(`cannot reach the inspector at ${url}`));
    });
  });
  let nextId = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  });
  function send<T>(method: string): Promise<T> {
    const id = nextId++;
    return new Promise<T>((resolve) => {
      waiting.set(id, (result) => {
        waiting.delete(id);
        resolve(result as T);
      });
      socket.send(JSON.stringify({ id, method }));
    });
  }
  return {
    async liveHeapBytes() {
      // Twice: objects freed by the first collection's finalizers (weak refs, closed sockets) go in the second.
      await send('HeapProfiler.collectGarbage');
      await send('HeapProfiler.collectGarbage');
      const { usedSize } = await send<{ usedSize: number }>('Runtime.getHeapUsage');
      return usedSize;
    },
    close: () => {
      socket.close();
    },
  };
}
