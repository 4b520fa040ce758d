import type { FastifyInstance } from 'fastify';
import { createSandboxControl, type SandboxControl } from '../../sandbox/control.js';
import { buildSandbox, type SandboxOptions } from '../../sandbox/sandbox-app.js';

/** The part of tap's Test this needs, so any test object (or a subtest) can own the sandbox. */
export interface Teardownable {
  teardown(fn: () => unknown): void;
}

export interface RunningSandbox {
  /** e.g. http://127.0.0.1:41234, the API at its root (`/api/v1/...`, `/app/`). */
  url: string;
  control: SandboxControl;
  app: FastifyInstance;
}

/**
 * The one way tests start the Flinks Pay simulator: on 127.0.0.1, a free port, closed when `t`
 * ends. Pass `now` to drive its clock by hand; a control handle is created unless one is given.
 */
export async function startSandbox(t: Teardownable, options: SandboxOptions = {}): Promise<RunningSandbox> {
  const control = options.control ?? createSandboxControl();
  const app = buildSandbox({ ...options, control });
  t.teardown(() => app.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, control, app };
}
