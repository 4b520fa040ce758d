import type { Config } from './config.js';

/**
 * Settings that are valid but probably not what was meant: start-up goes on, and says so once.
 * Each message names the setting and what to set instead; none shows a value.
 */
export function startUpWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.flinks.mode === 'sandbox' && config.flinks.credentialsIgnored === true) {
    warnings.push('FLINKS_USERNAME / FLINKS_PASSWORD are set but FLINKS_BASE_URL is not: checkouts go to the built-in sandbox, not to Flinks');
  }
  if (config.flinks.mode === 'remote' && config.flinks.instance === undefined) {
    // Flinks' own samples send it on every v1 call; without the onboarding value there is none to send.
    warnings.push('FLINKS_INSTANCE is not set: calls to Flinks go without the BaseURI header its samples send; set it to the instance name from onboarding');
  }
  if (config.trustProxy === true) {
    warnings.push(
      'TRUST_PROXY=true believes X-Forwarded-For from any sender, so a client can choose its own address (and rate-limit key); ' +
        'set the number of proxies in front of this service instead, e.g. TRUST_PROXY=1, or their addresses',
    );
  }
  if (config.nodeEnv === 'production' && config.corsOrigins.length > 0 && config.intentKeys === undefined) {
    // bff-api.md accepts an unsigned amount for trusted server-to-server callers; a shop's browser is
    // not one: whoever opens its developer tools can pay one cent for any order.
    warnings.push(
      'CORS_ORIGINS lets browsers call this service, but neither CHECKOUT_SIGNING_SECRET nor CHECKOUT_JWKS_URL is set: ' +
        'a shopper can choose the amount of any checkout; have your backend sign checkout intents (docs/signed-intents.md)',
    );
  }
  return warnings;
}
