import { isTransient, readStatus, retryAfterOf } from './http.js';
import { CheckoutRefusedError, type AppEvent, type CheckoutStatus } from './types.js';

const POLL_MS = 2000;
/** A Retry-After on a status read is waited out up to this long: polling slows down, never stops. */
const MAX_POLL_WAIT_MS = 60_000;
/**
 * The service sends the current status as soon as a stream opens; a stream silent this long is held
 * back by a proxy that buffers it (its events would all come at its end, after a final status), so
 * it gives way to polling. Well under the service's 15 s heartbeat; a first read from Flinks slower
 * than this costs polling, not the outcome.
 */
const STREAM_SILENCE_MS = 5000;

export interface Follower {
  /**
   * Reads the status now (once; polling goes on only while the stream is down), e.g. when the app
   * hints at a change: a stream a proxy holds back would not tell.
   */
  check(): Promise<void>;
  stop(): void;
}

/**
 * Calls `onStatus` with the checkout's status on every change, from the event stream, or by polling
 * once the stream fails or stays silent (a proxy that buffers, a dropped network): reads that fail
 * are tried again, and at once when the browser is back online. `onFatal` gets a 4xx other than 408 and 429.
 */
export function follow(base: string, requestId: string, onStatus: (status: CheckoutStatus) => void, onFatal: (error: CheckoutRefusedError) => void): Follower {
  const path = `${base}/checkout/${encodeURIComponent(requestId)}`;
  // A browser without EventSource polls from the start.
  let stream: EventSource | undefined = typeof EventSource === 'function' ? new EventSource(`${path}/events`) : undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let isStopped = false;

  let reading: Promise<void> | undefined;

  // A function, not the flag itself: `onStatus` may stop this follower (TypeScript would narrow the flag).
  const isLive = (): boolean => !isStopped;
  const read = async (): Promise<void> => {
    clearTimeout(timer);
    const answer = await readStatus(base, requestId).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    if (!isLive()) return;
    if (answer instanceof CheckoutRefusedError && !isTransient(answer.status)) {
      onFatal(answer);
      return;
    }
    // A status is reported; a network failure or a transient refusal is read again.
    if (!(answer instanceof Error)) {
      onStatus(answer);
      if (answer.final) return;
    }
    // A refusal's Retry-After (a rate limit, a service shedding load) sets the next read, not sooner.
    const asked = answer instanceof CheckoutRefusedError ? (retryAfterOf(answer) ?? 0) * 1000 : 0;
    // While the stream works it reports changes itself: this read was a one-off.
    if (isLive() && !stream) timer = setTimeout(() => void check(), Math.min(Math.max(POLL_MS, asked), MAX_POLL_WAIT_MS));
  };
  // Callers at the same moment (a tick, `online`, the app closing) share one read, so one polling loop.
  const check = (): Promise<void> =>
    (reading ??= read().finally(() => {
      reading = undefined;
    }));
  const hurry = (): void => {
    if (isLive()) void check();
  };
  // From now on, polling.
  const poll = (): void => {
    clearTimeout(silence);
    stream?.close();
    stream = undefined;
    hurry();
  };
  const silence = stream && setTimeout(poll, STREAM_SILENCE_MS);

  stream?.addEventListener('status', (event) => {
    clearTimeout(silence);
    const status = JSON.parse((event as MessageEvent<string>).data) as CheckoutStatus;
    // The service ends the stream after a final status; closing first keeps EventSource from reconnecting.
    if (status.final) stream?.close();
    onStatus(status);
  });
  // Before a final status only (a 404 answer lands here too).
  stream?.addEventListener('error', poll);
  window.addEventListener('online', hurry);
  // Without a stream (no EventSource), polling starts now.
  if (!stream) hurry();
  return {
    check,
    stop: () => {
      isStopped = true;
      stream?.close();
      clearTimeout(timer);
      clearTimeout(silence);
      window.removeEventListener('online', hurry);
    },
  };
}

/** Passes the app's events to `onEvent`, from the app's `origin` and `source` window only; returns the remover. */
export function listenToApp(origin: string, source: () => Window | null, onEvent: (event: AppEvent) => void): () => void {
  const listener = (message: MessageEvent): void => {
    // Any window can post to this one.
    if (message.origin !== origin || message.source === null || message.source !== source()) return;
    const data: unknown = message.data;
    // Objects { step } as Flinks Connect sends them, or a bare string.
    const step = typeof data === 'string' ? data : (data as { step?: unknown } | null)?.step;
    if (typeof step === 'string') onEvent({ step, data });
  };
  window.addEventListener('message', listener);
  return () => {
    window.removeEventListener('message', listener);
  };
}
