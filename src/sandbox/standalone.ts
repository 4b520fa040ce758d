import { z } from 'zod';
import { buildSandbox } from './sandbox-app.js';

/*
 * Entry for `npm run sandbox`: the simulator alone, for pointing another BFF or docker-compose
 * at it. The only sandbox file that reads process.env.
 */

const EnvSchema = z.object({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65_535).default(4010),
  HOST: z.string().min(1).default('127.0.0.1'),
});

const parsed = EnvSchema.safeParse(process.env);
if (!parsed.success) {
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  throw new Error(`Invalid sandbox environment: ${problems}`);
}

const app = buildSandbox({ logger: { level: 'info' } });
// Fastify's own listen line, reworded, is the one start-up line (no second, duplicate one).
await app.listen({
  port: parsed.data.SANDBOX_PORT,
  host: parsed.data.HOST,
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
