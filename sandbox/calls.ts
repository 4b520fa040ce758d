/*
 * What the control handle records and injects, per API step. A leaf module: the control handle,
 * the call hooks and the test triggers all use these types without importing one another.
 */

export type SandboxStep = 'authorize' | 'initiate' | 'paymentrequest' | 'status';

export interface RecordedCall {
  step: SandboxStep;
  method: string;
  /** The path and query exactly as the client sent them (any casing). */
  path: string;
  /** Lower-cased names; repeated headers joined with ", ". Authorization is kept on purpose. */
  headers: Record<string, string>;
  rawBody: string;
  /** 0 until a response is sent (stays 0 for a `hang` fault). */
  statusCode: number;
}

export type SandboxFault =
  | { kind: 'status'; status: number; body?: string; contentType?: string }
  | { kind: 'garbage' }
  | { kind: 'invalid' }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number };
