import type { Test } from 'tap';
import { ConfigError, loadConfig, type Config } from '../../src/config/config.js';

export type Env = Record<string, string | undefined>;

/** The minimum environment of a deployment that talks to a real Flinks Pay. */
export function remoteEnv(overrides: Env = {}): Env {
  return {
    FLINKS_BASE_URL: 'https://api.flinks.test/',
    FLINKS_USERNAME: 'merchant',
    FLINKS_PASSWORD: 's3cret',
    ...overrides,
  };
}

/** The ConfigError message loadConfig gives for `env`, checked to be one line (any other throw fails the test). */
export function configError(t: Test, env: Env): string {
  try {
    loadConfig(env);
  } catch (error) {
    t.type(error, ConfigError, 'a ConfigError, not a crash');
    const message = error instanceof Error ? error.message : String(error);
    t.notMatch(message, /[\r\n]/, 'the message is one line');
    return message;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

export function remoteFlinks(config: Config) {
  if (config.flinks.mode !== 'remote') throw new Error(`expected remote mode, got ${config.flinks.mode}`);
  return config.flinks;
}
