import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Frame, Locator, Page, Request } from 'playwright-core';
import type { Test } from 'tap';
import { createSandboxControl, type SandboxControl } from '../../sandbox/control.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { UI_TIMEOUT_MS } from './harness.js';

/*
 * For the browser client's tests: a merchant site on an origin of its own, whose page loads
 * /client/flinks-pay-checkout.js from the service under a strict CSP (scripts from itself and the
 * service only, no inline code or style), and the service with a control handle on its embedded
 * sandbox, to count the payment requests that reach "Flinks".
 */

export interface Merchant {
  /**
   * The shop's page; `?mode=`, `?lastName=`, `?amount=` or `?intent=` choose the order, and
   * `?throwing` makes its onCheckout and onStatus callbacks throw (a bug in the shop's code).
   */
  url: string;
  origin: string;
  /** The CSP the page is served with. */
  csp: () => string;
  /** Points the page at the service (known only after the service, which needs the shop's origin, started). */
  useService: (serviceUrl: string) => void;
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Shop</title>
  <script type="module" src="/shop.js"></script>
</head>
<body>
  <main>
    <input id="note" aria-label="Order note">
    <button id="pay" type="button">Pay</button>
    <output id="result"></output>
    <ol id="events"></ol>
    <ol id="statuses"></ol>
  </main>
</body>
</html>`;

/** The shop's integration: the five lines of docs/browser-client.md, plus a record of what happened. */
const script = (service: string) => `import { pay, resume } from '${service}/client/flinks-pay-checkout.js';
const params = new URLSearchParams(location.search);
const $ = (selector) => document.querySelector(selector);
const note = (list) => (text) => $(list).append(Object.assign(document.createElement('li'), { textContent: text }));
function show(kind, value) {
  $('#result').dataset.kind = kind;
  $('#result').textContent = JSON.stringify({ ...value, name: value.name, message: value.message });
}
const settle = (promise) => promise.then((outcome) => outcome && show('paid', outcome), (error) => show('rejected', error));
const intent = params.get('intent');
const shopBug = (where) => { if (params.has('throwing')) throw new Error('a bug in the shop: ' + where); };
$('#pay').addEventListener('click', () => settle(pay({
  ...(intent ? { intent } : { amount: params.get('amount') ?? '49.95' }),
  customer: { firstName: 'Jane', lastName: params.get('lastName') ?? 'Doe', email: 'jane@example.com' },
  mode: params.get('mode') ?? undefined,
  onEvent: (event) => note('#events')(event.step),
  onStatus: (status) => (note('#statuses')(status.status), shopBug('onStatus')),
  onCheckout: () => shopBug('onCheckout'),
})));
settle(resume({ onStatus: (status) => note('#statuses')(status.status) }));
`;

export async function startMerchant(t: Test): Promise<Merchant> {
  let service = '';
  const csp = () =>
    [
      "default-src 'none'",
      `script-src 'self' ${service}`,
      `connect-src ${service}`,
      `frame-src ${service}`,
      "style-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
    ].join('; ');
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://shop').pathname;
    if (path === '/shop.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' }).end(script(service));
    } else if (path === '/') {
      // no-cache, not no-store: Chromium keeps no-store pages out of the back/forward cache.
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp(), 'cache-control': 'no-cache' }).end(PAGE);
    } else {
      response.writeHead(404).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `${origin}/`, origin, csp, useService: (url) => (service = url) };
}

export interface Service {
  url: string;
  app: FastifyInstance;
  control: SandboxControl;
}

/** The BFF in sandbox mode on a free port, allowing `merchant`'s origin, with a control handle on its sandbox. */
export async function startServiceFor(t: Test, merchant: Merchant, env: Record<string, string> = {}): Promise<Service> {
  const control = createSandboxControl();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SANDBOX_STEP_MS: '100',
    STATUS_POLL_INTERVAL_MS: '100',
    CORS_ORIGINS: merchant.origin,
    ...env,
  });
  const app = await buildApp(config, { sandbox: { control } });
  t.teardown(() => app.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  merchant.useService(url);
  return { url, app, control };
}

export type Choice = '#approve' | '#decline' | '#cancel';

/** In the sandbox's Flinks Pay app: pick the first bank, then press `choice` (a cancel is confirmed). */
export async function decide(app: Page | Frame, choice: Choice): Promise<void> {
  await app.waitForSelector(`${choice}:enabled`);
  const bank = await app.locator('select#bank option:not([value=""])').first().getAttribute('value');
  if (bank) await app.selectOption('select#bank', bank);
  await app.click(choice);
  if (choice === '#cancel') await app.click('#confirm-cancel');
}

export interface Settled {
  kind: 'paid' | 'rejected';
  value: Record<string, unknown>;
}

/** What pay() (or resume()) settled with on the shop's page. */
export async function settled(page: Page): Promise<Settled> {
  const result: Locator = page.locator('#result[data-kind]');
  await result.waitFor({ state: 'attached', timeout: UI_TIMEOUT_MS });
  return {
    kind: (await result.getAttribute('data-kind')) as Settled['kind'],
    value: JSON.parse((await result.textContent()) ?? '{}') as Record<string, unknown>,
  };
}

/** Whether a browser request is the shop page's POST /checkout. */
export const isCheckoutPost = (request: Request): boolean => request.method() === 'POST' && new URL(request.url()).pathname === '/checkout';

/** Every POST /checkout the page sends from now on, in order. */
export function checkoutPostsOf(page: Page): Request[] {
  const posts: Request[] = [];
  page.on('request', (request) => {
    if (isCheckoutPost(request)) posts.push(request);
  });
  return posts;
}

/** Presses the shop's Pay button and resolves with the popup it opens (the Flinks app, once the checkout exists). */
export async function payInPopup(page: Page): Promise<Page> {
  const popup = page.waitForEvent('popup');
  await page.click('#pay');
  return popup;
}

/** The body of the 201 the page's next POST /checkout gets. */
export const nextCheckout = (page: Page): Promise<{ requestId: string; launchUrl: string }> =>
  page
    .waitForResponse((response) => isCheckoutPost(response.request()) && response.status() === 201)
    .then(async (response) => (await response.json()) as { requestId: string; launchUrl: string });

/** The items of the page's list `#events` or `#statuses`. */
export const listed = (page: Page, list: '#events' | '#statuses'): Promise<string[]> => page.locator(`${list} li`).allTextContents();
