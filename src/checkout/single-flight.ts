/**
 * Concurrent calls for the same key share one execution: the first starts it, the others wait
 * for its result (or error). The key is free again as soon as that execution settles.
 */
export function createSingleFlight<V>() {
  const inFlight = new Map<string, Promise<V>>();
  return (key: string, execute: () => Promise<V>): Promise<V> => {
    let pending = inFlight.get(key);
    if (!pending) {
      pending = execute().finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  };
}
