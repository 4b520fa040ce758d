/*
 * The module boundaries `npm test` enforces (npm run check:deps). See docs/architecture.md.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Dependencies point one way: routes → services → upstream/store → errors/config.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'product-does-not-import-sandbox',
      severity: 'error',
      comment: 'The simulator and demo page are not part of the product; only the composition root mounts them.',
      from: { path: '^src/', pathNot: '^src/app\\.ts$' },
      to: { path: '^sandbox/' },
    },
    {
      name: 'sandbox-does-not-import-product',
      severity: 'error',
      comment: 'The simulator models Flinks as documented, never our client: a wrong request must fail against it.',
      from: { path: '^sandbox/' },
      to: { path: '^src/' },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A module nothing imports is dead code (entry points excepted).',
      from: {
        orphan: true,
        pathNot: ['/public/', '\\.d\\.ts$', '^src/server\\.ts$', '^sandbox/standalone\\.ts$', '(^|/)\\.[^/]+\\.(c|m)?js$'],
      },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
