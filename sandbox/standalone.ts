import closeWithGrace from 'close-with-grace';
import { z } from 'zod';
import { buildSandbox } from './sandbox-app.js';
import { STATUS_SHAPES } from './status-shapes.js';

/*
 * Entry for `npm run sandbox`: the simulator alone, for pointing another BFF or docker-compose
 * at it. The only sandbox file that reads process.env. SANDBOX_STEP_MS and SANDBOX_EXPIRY_MS have
 * the same names and bounds as the BFF's, so both ways of running the sandbox behave alike.
 */

const blankAsUndefined = (value: unknown): unknown => (value === '' ? undefined : value);

const wholeNumber = (min: number, max: number, fallback: number) => {
  const error = `expected a whole number from ${min} to ${max}`;
  return z.preprocess(
    blankAsUndefined,
    z
      .string()
      .regex(/^\s*\d{1,10}\s*$/, error)
      .transform(Number)
      .pipe(z.number().min(min, error).max(max, error))
      .default(fallback),
  );
};

const StandaloneEnvSchema = z.object({
  SANDBOX_PORT: wholeNumber(0, 65_535, 4010),
  HOST: z.preprocess(blankAsUndefined, z.string().default('127.0.0.1')),
  SANDBOX_STEP_MS: wholeNumber(1, 600_000, 1000),
  SANDBOX_EXPIRY_MS: wholeNumber(1000, 86_400_000, 900_000),
  // Which documented GET /paymentrequests/{id} body to answer (sandbox/README.md).
  SANDBOX_STATUS_SHAPE: z.preprocess(blankAsUndefined, z.enum(STATUS_SHAPES).default('legacy')),
  // The onboarding instance name; when set, every v1 call must send it as the BaseURI header.
  SANDBOX_INSTANCE: z.preprocess(blankAsUndefined, z.string().optional()),
});

const parsed = StandaloneEnvSchema.safeParse(process.env);
if (!parsed.success) {
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  process.stderr.write(`Invalid sandbox environment: ${problems}\n`);
  process.exit(1);
}
const env = parsed.data;

const app = buildSandbox({
  logger: { level: 'info' },
  stepMs: env.SANDBOX_STEP_MS,
  expiryMs: env.SANDBOX_EXPIRY_MS,
  statusShape: env.SANDBOX_STATUS_SHAPE,
  instance: env.SANDBOX_INSTANCE,
});

// SIGTERM/SIGINT: stop accepting, end held requests, exit 0; a second signal or 10 s force it.
closeWithGrace({ delay: 10_000, logger: app.log }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'Flinks Pay sandbox closing after an uncaught error');
  else app.log.info({ signal }, 'closing Flinks Pay sandbox');
  await app.close();
});

// Fastify's own listen line, reworded, is the one start-up line (no second, duplicate one).
await app.listen({
  port: env.SANDBOX_PORT,
  host: env.HOST,
  listenTextResolver: (address) => `Flinks Pay sandbox listening at ${address}`,
});
