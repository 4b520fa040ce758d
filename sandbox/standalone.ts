import { z } from 'zod';
import { EnvSchema } from '../src/config/config.js';
import { buildSandbox } from './sandbox-app.js';

/*
 * Entry for `npm run sandbox`: the simulator alone, for pointing another BFF or docker-compose
 * at it. The only sandbox file that reads process.env. The pace settings are the BFF's own
 * (same names, same validation), so both ways of running the sandbox behave alike.
 */

const StandaloneEnvSchema = EnvSchema.pick({
  SANDBOX_STEP_MS: true,
  SANDBOX_EXPIRY_MS: true,
}).extend({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65_535).default(4010),
  HOST: z.string().min(1).default('127.0.0.1'),
});

const parsed = StandaloneEnvSchema.safeParse(process.env);
if (!parsed.success) {
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  throw new Error(`Invalid sandbox environment: ${problems}`);
}
const env = parsed.data;

const app = buildSandbox({
  logger: { level: 'info' },
  stepMs: env.SANDBOX_STEP_MS,
  expiryMs: env.SANDBOX_EXPIRY_MS,
});
// Fastify's own listen line, reworded, is the one start-up line (no second, duplicate one).
await app.listen({
  port: env.SANDBOX_PORT,
  host: env.HOST,
  listenTextResolver: (address) => `Flinks Pay sandbox listening at ${address}`,
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    app.log.info({ signal }, 'closing Flinks Pay sandbox');
    app.close().then(
      () => (process.exitCode = 0),
      (error: unknown) => {
        app.log.error({ err: error }, 'sandbox did not close cleanly');
        process.exitCode = 1;
      },
    );
  });
}
