/** Onboarding credentials of the simulated Flinks instance (HTTP Basic on /authorize). */
export interface SandboxCredentials {
  username: string;
  password: string;
}

/** The defaults; public on purpose, the sandbox guards nothing of value. */
export const SANDBOX_CREDENTIALS: Readonly<SandboxCredentials> = Object.freeze({
  username: 'sandbox',
  password: 'sandbox',
});
