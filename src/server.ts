import { setTimeout as sleep } from 'node:timers/promises';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config/config.js';
import { CLAIM_END_BUDGET_MS, shutdownWindowWarning } from './config/runtime-limits.js';
import { DOCS_PREFIX } from './routes/docs.js';

/** Why a listen failed, as one line naming the address and the setting to change. */
function listenProblem(error: unknown, host: string, port: number | string, setting: string): string {
  const reasons: Readonly<Record<string, string>> = {
    EADDRINUSE: `the port is already in use; stop what holds it or set ${setting} to a free port`,
    EACCES: `permission denied; ports below 1024 need privileges, so set ${setting} to 1024 or above`,
    EADDRNOTAVAIL: 'HOST is not an address of this machine',
    ENOTFOUND: 'HOST does not resolve to an address',
  };
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  return `Cannot listen on ${host}:${port}: ${reasons[code] ?? (error instanceof Error ? error.message : String(error))}`;
}

/** Runs a listen; a failure is one line on stderr and exit code 1, as for a bad setting. */
async function listenOrExit<T>(listen: () => Promise<T>, describe: (error: unknown) => string): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    process.stderr.write(`${describe(error)}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }

  const app = await buildApp(config);
  const warning = shutdownWindowWarning(config.shutdownTimeoutMs, config.upstream.timeoutMs);
  if (warning) app.log.warn(warning);
  // SIGTERM/SIGINT: stop accepting, let in-flight requests finish, exit 0. When SHUTDOWN_TIMEOUT_MS
  // runs out first, the idempotency claims of the requests still running are ended (a retry hears
  // at once that its checkout was cut off, not 409 until the claim's lease is over) and the exit is
  // forced (1). A second signal exits at once; close-with-grace's own delay is the backstop should
  // ending them hang.
  closeWithGrace({ delay: config.shutdownTimeoutMs + CLAIM_END_BUDGET_MS + 1000, logger: app.log }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an uncaught error');
    else app.log.info({ signal }, 'shutting down');
    const closed = app.close().then(() => 'closed' as const);
    if ((await Promise.race([closed, sleep(config.shutdownTimeoutMs, 'timeout' as const)])) === 'closed') return;
    const interrupted = await Promise.race([app.abandonInFlightClaims(), sleep(CLAIM_END_BUDGET_MS, 0)]);
    app.log.error(
      { shutdownTimeoutMs: config.shutdownTimeoutMs, interruptedIdempotencyKeys: interrupted },
      'shutdown window over: requests still running are cut off; their idempotency keys answer a retry as interrupted',
    );
    process.exit(1);
  });

  const address = await listenOrExit(
    () => app.listen({ port: config.port, host: config.host }),
    (error) => listenProblem(error, config.host, config.port, 'PORT'),
  );
  // METRICS_PORT: /metrics on a listener of its own, started with the app and closed with it.
  const metricsAddress =
    (await listenOrExit(
      () => app.metricsListener.listen(),
      (error) => listenProblem(error, config.host, config.metricsPort ?? '', 'METRICS_PORT'),
    )) ?? address;
  const mode = config.flinks.mode === 'sandbox' ? 'embedded sandbox at /sandbox' : config.flinks.baseUrl;
  app.log.info({ address, docs: `${address}${DOCS_PREFIX}`, metrics: `${metricsAddress}/metrics`, upstream: mode }, 'checkout BFF listening');
}

await main();
