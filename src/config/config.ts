import { z } from 'zod';
import { parseDuration } from './duration.js';

/** Blank values count as unset, so `PORT=` in an env file means the default. */
const emptyAsUndefined = (value: unknown): unknown => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());

const httpUrl = z.preprocess(
  emptyAsUndefined,
  z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
    .refine((url) => !/[?#]/.test(url), 'expected a URL without query or fragment')
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
);

const booleanFlag = z.preprocess(
  emptyAsUndefined,
  z
    .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
    .default('false')
    .transform((value) => value === 'true' || value === '1'),
);

const integer = (min: number, max: number, fallback: number) => {
  const error = `expected a whole number from ${min} to ${max}`;
  return z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^\s*\d{1,10}\s*$/, error)
      .transform(Number)
      .pipe(z.number().min(min, error).max(max, error))
      .default(fallback),
  );
};

const duration = (fallback: string) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default(fallback)
      .transform((text, ctx) => {
        const ms = parseDuration(text);
        if (ms === undefined) {
          ctx.addIssue({ code: 'custom', message: 'expected a duration such as "1 minute", "30s" or 60000' });
          return z.NEVER;
        }
        return ms;
      }),
  );

/** An origin as browsers send it: scheme://host[:port], nothing after (a lone trailing slash is dropped). */
const origin = z
  .url({ protocol: /^https?$/, error: 'expected comma-separated http(s) origins such as https://shop.example' })
  .transform((text) => text.replace(/\/$/, ''))
  .refine((text) => new URL(text).origin === text, 'expected origins without path, query or fragment');

const originList = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .default('')
    .transform((text) => text.split(',').map((entry) => entry.trim()).filter(Boolean))
    .pipe(z.array(origin)),
);

/** Every environment variable the service reads, as documented in the README's configuration table. */
export const EnvSchema = z
  .object({
    NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(['development', 'test', 'production']).default('development')),
    PORT: integer(0, 65535, 3000),
    HOST: z.preprocess(emptyAsUndefined, z.string().default('0.0.0.0')),
    LOG_LEVEL: z.preprocess(
      emptyAsUndefined,
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ),
    FLINKS_BASE_URL: httpUrl,
    FLINKS_APP_URL: httpUrl,
    FLINKS_USERNAME: optionalString,
    FLINKS_PASSWORD: optionalString,
    FLINKS_INSTANCE: z.preprocess(
      emptyAsUndefined,
      z.string().regex(/^[\x21-\x7e]{1,200}$/, 'expected visible ASCII without spaces').optional(),
    ),
    CORS_ORIGINS: originList,
    RATE_LIMIT_MAX: integer(1, 1_000_000, 60),
    RATE_LIMIT_WINDOW: duration('1 minute'),
    STATUS_NOT_FOUND_LIMIT: integer(1, 1_000_000, 30),
    UPSTREAM_TIMEOUT_MS: integer(100, 120_000, 10_000),
    UPSTREAM_CONNECTIONS: integer(1, 1024, 64),
    BODY_LIMIT_BYTES: integer(1024, 1_048_576, 16_384),
    SHUTDOWN_TIMEOUT_MS: integer(0, 120_000, 10_000),
    TRUST_PROXY: booleanFlag,
  });

/**
 * Rules between settings, checked on the raw values so they are reported together with any
 * malformed setting instead of only after it is fixed.
 */
function dependentSettingProblems(env: Record<string, string | undefined>): string[] {
  const isSet = (key: string) => emptyAsUndefined(env[key]) !== undefined;
  const problems: string[] = [];
  if (env.NODE_ENV === 'production' && !isSet('FLINKS_BASE_URL')) {
    problems.push('FLINKS_BASE_URL: required when NODE_ENV=production (the built-in sandbox never serves live traffic)');
  }
  if (isSet('FLINKS_BASE_URL')) {
    for (const key of ['FLINKS_USERNAME', 'FLINKS_PASSWORD']) {
      if (!isSet(key)) problems.push(`${key}: required when FLINKS_BASE_URL is set`);
    }
  }
  return problems;
}

type Env = z.infer<typeof EnvSchema>;

export type FlinksConfig =
  | { mode: 'remote'; baseUrl: string; appUrl: string; username: string; password: string; instance?: string }
  | { mode: 'sandbox'; appUrl?: string; instance?: string };

export type Config = Readonly<ReturnType<typeof toConfig>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once at start; throws a ConfigError whose message is one readable line. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)),
    ...dependentSettingProblems(env),
  ];
  if (!parsed.success || problems.length > 0) {
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return deepFreeze(toConfig(parsed.data));
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const nested of Object.values(value)) {
    if (nested !== null && typeof nested === 'object') deepFreeze(nested as object);
  }
  return Object.freeze(value);
}

function toConfig(env: Env) {
  const flinks: FlinksConfig = env.FLINKS_BASE_URL
    ? {
        mode: 'remote',
        baseUrl: env.FLINKS_BASE_URL,
        appUrl: env.FLINKS_APP_URL ?? env.FLINKS_BASE_URL,
        username: env.FLINKS_USERNAME ?? '',
        password: env.FLINKS_PASSWORD ?? '',
        instance: env.FLINKS_INSTANCE,
      }
    : { mode: 'sandbox', appUrl: env.FLINKS_APP_URL, instance: env.FLINKS_INSTANCE };
  return {
    nodeEnv: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    flinks,
    corsOrigins: env.CORS_ORIGINS,
    rateLimit: { max: env.RATE_LIMIT_MAX, windowMs: env.RATE_LIMIT_WINDOW },
    statusNotFoundLimit: env.STATUS_NOT_FOUND_LIMIT,
    upstream: { timeoutMs: env.UPSTREAM_TIMEOUT_MS, connections: env.UPSTREAM_CONNECTIONS },
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    trustProxy: env.TRUST_PROXY,
  };
}
