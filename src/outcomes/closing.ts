/**
 * Closing outcome delivery is bounded: the queues wait this long at most for the steps running and
 * for Redis (while Redis is away, a graceful close would wait forever), so shutdown stays within
 * its window whatever a merchant, Flinks or Redis is doing.
 */
export const CLOSE_TIMEOUT_MS = 2000;

/** Whether `work` settled within `ms` (the timer never holds the process open). */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
