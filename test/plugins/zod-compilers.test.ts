import t from 'tap';
import { runModuleSource } from '../support/process.js';

// In a process of its own: this one also runs the simulator, a Fastify instance with Ajv.
const BUILD_AND_LIST = `
import { createRequire } from 'node:module';
const { buildApp } = await import('./src/app.ts');
const { loadConfig } = await import('./src/config/config.ts');
const app = await buildApp(loadConfig({
  FLINKS_BASE_URL: 'http://127.0.0.1:9', FLINKS_USERNAME: 'u', FLINKS_PASSWORD: 'p',
  METRICS_PORT: '9465', LOG_LEVEL: 'silent',
}));
await app.ready();
const response = await app.inject({ method: 'POST', url: '/checkout', payload: { amount: 'ten' } });
const loaded = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify({
  fastify: loaded.some((path) => path.endsWith('/fastify/fastify.js')),
  unusedCompilers: loaded.filter((path) => /\\/(ajv-compiler|fast-json-stringify-compiler|ajv|ajv-formats)\\/|\\/fast-json-stringify\\/index\\.js$/.test(path)),
  validated: response.statusCode,
}));
await app.close();
`;

t.test('the app and its helper instances never load Ajv or fast-json-stringify: every schema is zod', async (t) => {
  const { code, stdout, stderr } = await runModuleSource(BUILD_AND_LIST);
  t.equal(code, 0, stderr);
  t.equal(stderr, '', 'no warning either (such as a deprecated Fastify option)');
  const report = JSON.parse(stdout) as { fastify: boolean; unusedCompilers: string[]; validated: number };
  t.ok(report.fastify, 'Fastify itself is loaded (the check looks in the right place)');
  t.same(report.unusedCompilers, []);
  t.equal(report.validated, 400, 'bodies are still validated, by zod');
});
