import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { ProblemSchema } from '../../errors/problem.js';
import { decodeCursor, encodeCursor, OPS_SECURITY, OpsCheckoutPageSchema, OpsListQuerySchema, type OpsRouteOptions } from './schemas.js';

const EMPTY_MEANS_ABSENT: readonly string[] = ['referenceId', 'status', 'cursor'];
const isFilter = (name: string): boolean => EMPTY_MEANS_ABSENT.includes(name);

/** GET /ops/checkouts */
export const opsListRoute: FastifyPluginAsyncZod<OpsRouteOptions> = (app, { console: ops }) => {
  app.get('/ops/checkouts', {
    schema: {
      operationId: 'listCheckouts',
      summary: 'List checkouts, newest first (find one by order id)',
      description:
        'Checkouts created through this service, newest first, 50 a page; filter by `referenceId` (the order id) ' +
        'and/or last known `status`. Follow `next` as `cursor` for older ones.',
      tags: ['ops'],
      security: OPS_SECURITY,
      querystring: OpsListQuerySchema,
      response: {
        200: OpsCheckoutPageSchema,
        400: ProblemSchema,
        401: ProblemSchema,
        404: ProblemSchema,
        429: ProblemSchema,
        500: ProblemSchema,
        503: ProblemSchema,
      },
    },
    // An empty filter is no filter: `?referenceId=&status=&cursor=` (as the contract writes the URL,
    // and as a form sends it) lists every checkout instead of failing validation.
    preValidation: (request, _reply, done) => {
      const query = request.query as Record<string, unknown>;
      if (EMPTY_MEANS_ABSENT.some((name) => query[name] === '')) {
        request.query = Object.fromEntries(Object.entries(query).filter(([name, value]) => !(value === '' && isFilter(name))));
      }
      done();
    },
    handler: async (request) => {
      const { referenceId, status, cursor } = request.query;
      const after = decodeCursor(cursor);
      const page = await ops.list({
        ...(referenceId === undefined ? {} : { referenceId }),
        ...(status === undefined ? {} : { status }),
        ...(after === undefined ? {} : { after }),
      });
      return { items: page.items, next: encodeCursor(page.next) };
    },
  });
  return Promise.resolve();
};
