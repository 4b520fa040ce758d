import { heapSettingProblems } from './runtime-limits.js';
import { emptyAsUndefined } from './setting-types.js';

/**
 * Rules between settings, checked on the raw values so they are reported together with any
 * malformed setting instead of only after it is fixed.
 */
export function dependentSettingProblems(env: Record<string, string | undefined>): string[] {
  const isSet = (key: string) => emptyAsUndefined(env[key]) !== undefined;
  const problems: string[] = [];
  if (env.NODE_ENV === 'production' && !isSet('FLINKS_BASE_URL')) {
    problems.push('FLINKS_BASE_URL: required when NODE_ENV=production (the built-in sandbox never serves live traffic)');
  }
  if (isSet('METRICS_PORT') && Number(env.METRICS_PORT) === Number(isSet('PORT') ? env.PORT : 3000)) {
    problems.push('METRICS_PORT: must differ from PORT (metrics are served on a port of their own)');
  }
  if (isSet('FLINKS_BASE_URL')) {
    for (const key of ['FLINKS_USERNAME', 'FLINKS_PASSWORD']) {
      if (!isSet(key)) problems.push(`${key}: required when FLINKS_BASE_URL is set`);
    }
  }
  if (isSet('CHECKOUT_SIGNING_SECRET') && isSet('CHECKOUT_JWKS_URL')) {
    problems.push('CHECKOUT_SIGNING_SECRET, CHECKOUT_JWKS_URL: set one of them, not both (one trust anchor for intents)');
  }
  if (env.NODE_ENV === 'production' && /^http:/i.test(env.CHECKOUT_JWKS_URL?.trim() ?? '')) {
    problems.push('CHECKOUT_JWKS_URL: must be https when NODE_ENV=production (whoever can alter the key set can sign any amount)');
  }
  problems.push(...outcomeSettingProblems(env, isSet), ...heapSettingProblems(env));
  return problems;
}

function outcomeSettingProblems(env: Record<string, string | undefined>, isSet: (key: string) => boolean): string[] {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';
  if (isSet('MERCHANT_WEBHOOK_URL') !== isSet('MERCHANT_WEBHOOK_SECRET')) {
    problems.push('MERCHANT_WEBHOOK_URL, MERCHANT_WEBHOOK_SECRET: set both or neither (every event is signed)');
  }
  if (isSet('MERCHANT_WEBHOOK_PREVIOUS_SECRET') && !isSet('MERCHANT_WEBHOOK_SECRET')) {
    problems.push('MERCHANT_WEBHOOK_PREVIOUS_SECRET: only with MERCHANT_WEBHOOK_SECRET (it is the one being rotated out)');
  }
  if (production && /^http:/i.test(env.MERCHANT_WEBHOOK_URL?.trim() ?? '')) {
    problems.push('MERCHANT_WEBHOOK_URL: must be https when NODE_ENV=production (payment outcomes travel in it)');
  }
  // Flinks asks integrators to read a request's status at most about every 30 s.
  const firstDelay = Number(env.RECONCILE_FIRST_DELAY_MS?.trim() || '30000');
  if (production && firstDelay < 30_000) {
    problems.push('RECONCILE_FIRST_DELAY_MS: at least 30000 when NODE_ENV=production (Flinks: poll no more often than every 30 s)');
  }
  return problems;
}
