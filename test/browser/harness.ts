import type { Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';

export { CHROMIUM_PATH, launchBrowser, UI_TIMEOUT_MS, withPage, type PageRun } from '../support/chromium.js';

/**
 * The BFF in sandbox mode listening on a free port (the embedded sandbox is reached over a real
 * socket), with fast sandbox steps and status polls. Returns its base URL.
 */
export async function startService(t: Test, env: Record<string, string> = {}): Promise<string> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SANDBOX_STEP_MS: '100',
    STATUS_POLL_INTERVAL_MS: '100',
    // Tests share two cores with each other and a browser: a busy event loop there is not overload.
    MAX_EVENT_LOOP_DELAY_MS: '10000',
    ...env,
  });
  const app = await buildApp(config);
  t.teardown(() => app.close());
  return app.listen({ port: 0, host: '127.0.0.1' });
}
