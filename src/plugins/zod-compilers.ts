import type { FastifyServerOptions } from 'fastify';

function neverCalled(): never {
  throw new Error('every schema in this service is zod: set the zod compilers on an instance that has schemas');
}

/**
 * Fastify loads and builds Ajv and fast-json-stringify for each instance unless it is given
 * factories, even when the zod compilers are set on the instance right after: about 1 MB of code
 * and 1 MB of heap that would never run. These factories are never called: the instances that
 * have schemas set the zod compilers (setValidatorCompiler, setSerializerCompiler).
 */
export const zodOnlySchemas: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: { buildValidator: neverCalled, buildSerializer: neverCalled },
};
