import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config/config.js';
import { DOCS_PREFIX } from './routes/docs.js';

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
  // SIGTERM/SIGINT: stop accepting, let in-flight requests finish, exit 0. A second signal or
  // the timeout forces the exit.
  closeWithGrace({ delay: config.shutdownTimeoutMs, logger: app.log }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an uncaught error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });

  const address = await app.listen({ port: config.port, host: config.host });
  const mode = config.flinks.mode === 'sandbox' ? 'embedded sandbox at /sandbox' : config.flinks.baseUrl;
  app.log.info({ address, docs: `${address}${DOCS_PREFIX}`, upstream: mode }, 'checkout BFF listening');
}

await main();
