import FakeTimers from '@sinonjs/fake-timers';
import { createPublicKey, generateKeyPairSync, sign as cryptoSign, type JsonWebKey } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import t, { type Test } from 'tap';
import { captureLogs, setUp } from '../support/build.js';
import { claims, hs256, initiateBody, nowSeconds, postIntent } from './support.js';

/*
 * CHECKOUT_JWKS_URL: keys from a JSON Web Key Set served by a local HTTP server on port 0. Only
 * asymmetric algorithms verify against it; an unreachable set is our outage (503), never a 401,
 * and never a 5xx for a token that is bad on its face.
 */

interface Signer {
  kid: string;
  alg: string;
  jwk: JWK;
  sign: (payload: Record<string, unknown>, header?: Record<string, unknown>) => Promise<string>;
}

async function signer(alg: 'ES256' | 'RS256' | 'EdDSA' | 'PS256', kid: string): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return {
    kid,
    alg,
    jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
    sign: (payload, header = {}) => new SignJWT(payload).setProtectedHeader({ alg, kid, typ: 'JWT', ...header }).sign(privateKey),
  };
}

type Behaviour = 'serve' | 'status-500' | 'garbage' | 'hang' | 'redirect' | 'oversized';

/** A JWKS endpoint whose keys and behaviour a test changes at will; counts its fetches. */
async function startJwksServer(t: Test, keys: JWK[]) {
  const state = { keys, behaviour: 'serve' as Behaviour, fetches: 0 };
  const hanging: ServerResponse[] = [];
  const server = createServer((_request, response) => {
    state.fetches += 1;
    if (state.behaviour === 'hang') return void hanging.push(response);
    if (state.behaviour === 'status-500') return void response.writeHead(500).end('oops');
    if (state.behaviour === 'redirect') return void response.writeHead(302, { location: 'http://127.0.0.1:1/' }).end();
    if (state.behaviour === 'oversized') {
      sendOversized(response, state.keys);
      return;
    }
    const body = state.behaviour === 'garbage' ? '<html>not json' : JSON.stringify({ keys: state.keys });
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const response of hanging) response.destroy();
    server.closeAllConnections();
    server.close();
  });
  const address = server.address();
  const port = address !== null && typeof address === 'object' ? address.port : 0;
  return { state, url: `http://127.0.0.1:${port}/.well-known/jwks.json` };
}

/** A valid key set padded past the 64 KiB cap, chunked (no content-length to go by). */
function sendOversized(response: ServerResponse, keys: JWK[]): void {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.write(`{"keys":${JSON.stringify(keys)},"padding":"`);
  for (let i = 0; i < 80; i++) response.write('x'.repeat(1024));
  response.end('"}');
}

async function closedPortUrl(): Promise<string> {
  const server = createTcpServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  return `http://127.0.0.1:${address !== null && typeof address === 'object' ? address.port : 1}/jwks.json`;
}

const COOLDOWN_MS = 1000;

/**
 * The fetch timeout is generous: a fetch that ran out of time on a busy machine would fail the key
 * set for the whole cooldown. Only the case about a hanging endpoint shortens it.
 */
const jwksEnv = (url: string, env: Record<string, string> = {}) => ({
  CHECKOUT_JWKS_URL: url,
  CHECKOUT_JWKS_COOLDOWN_MS: String(COOLDOWN_MS),
  CHECKOUT_JWKS_TIMEOUT_MS: '10000',
  ...env,
});
const SHORT_FETCH_TIMEOUT = { CHECKOUT_JWKS_TIMEOUT_MS: '300' };

t.test('ES256, RS256, PS256 and EdDSA intents verify against the key set; the signed amount reaches Flinks', async (t) => {
  const signers = await Promise.all([signer('ES256', 'ec-1'), signer('RS256', 'rsa-1'), signer('PS256', 'pss-1'), signer('EdDSA', 'ed-1')]);
  const jwks = await startJwksServer(
    t,
    signers.map((s) => s.jwk),
  );
  const { app, control } = await setUp(t, jwksEnv(jwks.url));
  for (const s of signers) {
    control.reset();
    const res = await postIntent(app, await s.sign(claims({ amount: '49.95' })));
    t.equal(res.statusCode, 201, s.alg);
    t.match(initiateBody(control.calls), /^\{"amount":49\.95,/, `${s.alg}: the signed amount`);
  }
});

t.test('key rotation: a new kid is fetched and verifies; a retired kid and an unknown kid are 401', async (t) => {
  const [old, next] = await Promise.all([signer('ES256', 'key-2025'), signer('ES256', 'key-2026')]);
  const jwks = await startJwksServer(t, [old.jwk]);
  const { app, control } = await setUp(t, jwksEnv(jwks.url));
  // jose refetches for an unknown kid only once the cooldown since the last fetch is over.
  const clock = FakeTimers.install({ toFake: ['Date'], now: Date.now() });
  t.teardown(() => {
    clock.uninstall();
  });
  t.equal((await postIntent(app, await old.sign(claims()))).statusCode, 201, 'the current key');
  jwks.state.keys = [next.jwk];
  clock.tick(COOLDOWN_MS);
  const before = jwks.state.fetches;
  t.equal((await postIntent(app, await next.sign(claims()))).statusCode, 201, 'the new kid, after one refetch');
  t.equal(jwks.state.fetches, before + 1);
  const retired = await postIntent(app, await old.sign(claims()));
  t.equal(retired.statusCode, 401, 'the retired kid');
  t.match(retired.json(), { type: /invalid-intent$/, detail: /no key of the key set matches/ });
  const stranger = await signer('ES256', 'key-2026');
  const sameKidOtherKey = await postIntent(app, await stranger.sign(claims()));
  t.equal(sameKidOtherKey.statusCode, 401, 'a known kid signed by another key');
  t.match(sameKidOtherKey.json(), { detail: /signature does not verify/ });
  const unknown = await postIntent(app, await (await signer('ES256', 'nobody')).sign(claims()));
  t.equal(unknown.statusCode, 401, 'an unknown kid');
  t.equal(control.count('paymentrequest'), 2);
});

t.test('within the cooldown an unknown kid does not refetch the set: a flood of made-up kids costs one fetch', async (t) => {
  const known = await signer('ES256', 'known');
  const jwks = await startJwksServer(t, [known.jwk]);
  const { app } = await setUp(t, jwksEnv(jwks.url, { CHECKOUT_JWKS_COOLDOWN_MS: '60000' }));
  t.equal((await postIntent(app, await known.sign(claims()))).statusCode, 201);
  const fetches = jwks.state.fetches;
  for (let i = 0; i < 10; i++) {
    t.equal((await postIntent(app, await (await signer('ES256', `made-up-${i}`)).sign(claims()))).statusCode, 401);
  }
  t.equal(jwks.state.fetches, fetches, 'no refetch within the cooldown');
});

t.test('algorithm confusion: HS256 (keyed with the public key in any form), none and oct keys never verify against a key set', async (t) => {
  const rsa = await signer('RS256', 'rsa');
  const octKey: JWK = { kty: 'oct', kid: 'oct', alg: 'HS256', k: Buffer.from('a-shared-secret-of-at-least-32-bytes!!').toString('base64url') };
  const jwks = await startJwksServer(t, [rsa.jwk, octKey]);
  const { app, control } = await setUp(t, jwksEnv(jwks.url));
  const publicPem = createPublicKey({ key: rsa.jwk as JsonWebKey, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  const secrets = {
    'the public key PEM': publicPem,
    'the JWK as JSON': JSON.stringify(rsa.jwk),
    'the modulus n': Buffer.from(rsa.jwk.n ?? '', 'base64url').toString('latin1'),
    'the oct key of the set': 'a-shared-secret-of-at-least-32-bytes!!',
  };
  t.equal((await postIntent(app, await rsa.sign(claims()))).statusCode, 201, 'the RSA key itself works');
  control.reset();
  const fetches = jwks.state.fetches;
  for (const [label, secret] of Object.entries(secrets)) {
    for (const kid of ['rsa', 'oct']) {
      const res = await postIntent(app, hs256(claims(), { secret, header: { alg: 'HS256', kid } }));
      t.equal(res.statusCode, 401, `HS256 with ${label}, kid ${kid}`);
      t.match(res.json(), { detail: /alg must be one of RS256/ });
    }
  }
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const none = await postIntent(app, `${b64({ alg: 'none', kid: 'rsa' })}.${b64(claims())}.`);
  t.equal(none.statusCode, 401, 'alg none');
  t.equal(jwks.state.fetches, fetches, 'refused algorithms are refused before any key lookup');
  const rsaWithOctKid = await postIntent(app, await rsa.sign(claims(), { kid: 'oct' }));
  t.equal(rsaWithOctKid.statusCode, 401, 'RS256 naming the oct key');
  t.match(rsaWithOctKid.json(), { detail: /no key of the key set matches/ });
  t.equal(control.calls.length, 0);
});

t.test('a key set without kids: the intent is valid when one of its keys verifies it', async (t) => {
  const [a, b] = await Promise.all([signer('ES256', 'a'), signer('ES256', 'b')]);
  const strip = ({ kid: _kid, ...jwk }: JWK) => jwk;
  const jwks = await startJwksServer(t, [strip(a.jwk), strip(b.jwk)]);
  const { app } = await setUp(t, jwksEnv(jwks.url));
  t.equal((await postIntent(app, await b.sign(claims(), { kid: undefined }))).statusCode, 201, 'the second key verifies');
  const stranger = await signer('ES256', 'c');
  const res = await postIntent(app, await stranger.sign(claims(), { kid: undefined }));
  t.equal(res.statusCode, 401);
  t.match(res.json(), { detail: /signature does not verify/ });
});

t.test('an unreachable, failing or slow key set is 503 intent-keys-unavailable, never a 401 or a 500', async (t) => {
  const key = await signer('ES256', 'k');
  const jwks = await startJwksServer(t, [key.jwk]);
  const cases: [string, () => Promise<string>, Behaviour][] = [
    ['a closed port', closedPortUrl, 'serve'],
    ['HTTP 500', () => Promise.resolve(jwks.url), 'status-500'],
    ['a body that is not JSON', () => Promise.resolve(jwks.url), 'garbage'],
    ['a redirect (not followed)', () => Promise.resolve(jwks.url), 'redirect'],
    ['no answer within CHECKOUT_JWKS_TIMEOUT_MS', () => Promise.resolve(jwks.url), 'hang'],
    ['a body over 64 KiB', () => Promise.resolve(jwks.url), 'oversized'],
  ];
  for (const [label, url, behaviour] of cases) {
    jwks.state.behaviour = behaviour;
    const { app, control } = await setUp(t, jwksEnv(await url(), behaviour === 'hang' ? SHORT_FETCH_TIMEOUT : {}));
    const res = await postIntent(app, await key.sign(claims()));
    t.equal(res.statusCode, 503, label);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.equal(res.headers['retry-after'], '5');
    t.match(res.json(), { type: /intent-keys-unavailable$/, title: 'Service unavailable', detail: /retry shortly with the same intent/ });
    const expired = await postIntent(app, await key.sign(claims({ iat: 1_000_000, exp: 1_000_600 })));
    t.equal(expired.statusCode, 401, `${label}: a token bad on its face is still a 401`);
    const confused = await postIntent(app, hs256(claims(), { header: { alg: 'HS256', kid: 'k' } }));
    t.equal(confused.statusCode, 401, `${label}: so is a wrong algorithm`);
    t.equal(control.calls.length, 0);
  }
});

t.test('the key set comes back: intents verify again without a restart, once the cooldown after the failure is over', async (t) => {
  const key = await signer('ES256', 'k');
  const jwks = await startJwksServer(t, [key.jwk]);
  jwks.state.behaviour = 'status-500';
  const { app } = await setUp(t, jwksEnv(jwks.url));
  const clock = FakeTimers.install({ toFake: ['Date'], now: Date.now() });
  t.teardown(() => {
    clock.uninstall();
  });
  t.equal((await postIntent(app, await key.sign(claims()))).statusCode, 503);
  jwks.state.behaviour = 'serve';
  t.equal((await postIntent(app, await key.sign(claims()))).statusCode, 503, 'a failed download is not retried within the cooldown');
  clock.tick(COOLDOWN_MS);
  t.equal((await postIntent(app, await key.sign(claims()))).statusCode, 201);
});

t.test("with a long cooldown, a failed download is tried again after the 503's Retry-After (5 s), not the whole cooldown", async (t) => {
  const key = await signer('ES256', 'k');
  const jwks = await startJwksServer(t, [key.jwk]);
  jwks.state.behaviour = 'status-500';
  const { app } = await setUp(t, jwksEnv(jwks.url, { CHECKOUT_JWKS_COOLDOWN_MS: '60000' }));
  const clock = FakeTimers.install({ toFake: ['Date'], now: Date.now() });
  t.teardown(() => {
    clock.uninstall();
  });
  const failed = await postIntent(app, await key.sign(claims()));
  t.equal(failed.statusCode, 503);
  t.equal(failed.headers['retry-after'], '5');
  const fetches = jwks.state.fetches;
  jwks.state.behaviour = 'serve';
  clock.tick(4_000);
  t.equal((await postIntent(app, await key.sign(claims()))).statusCode, 503, 'not within those 5 s');
  t.equal(jwks.state.fetches, fetches, 'the endpoint was not asked');
  clock.tick(1_000);
  t.equal((await postIntent(app, await key.sign(claims()))).statusCode, 201, 'asked again 5 s after the failure');
  t.equal(jwks.state.fetches, fetches + 1);
});

t.test("an RSA key under 2048 bits in the set is the set's fault: 503, not 500", async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'weak', alg: 'RS256' };
  const jwks = await startJwksServer(t, [jwk]);
  const { app } = await setUp(t, jwksEnv(jwks.url));
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${b64({ alg: 'RS256', kid: 'weak' })}.${b64(claims())}`;
  const token = `${input}.${cryptoSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  const res = await postIntent(app, token);
  t.equal(res.statusCode, 503);
  t.match(res.json(), { type: /intent-keys-unavailable$/ });
});

t.test('a kid-less intent skips a weak RSA key of the set and verifies with a strong one; weak keys alone are 503', async (t) => {
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const strong = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwkOf = async (key: typeof weak.publicKey) => ({ ...(await exportJWK(key)), alg: 'RS256', use: 'sig' });
  const jwks = await startJwksServer(t, [await jwkOf(weak.publicKey), await jwkOf(strong.publicKey)]);
  const { app } = await setUp(t, jwksEnv(jwks.url));
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const rs256 = (privateKey: typeof weak.privateKey) => {
    const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims())}`;
    return `${input}.${cryptoSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  };
  t.equal((await postIntent(app, rs256(strong.privateKey))).statusCode, 201, 'signed by the 2048-bit key');
  t.equal((await postIntent(app, rs256(weak.privateKey))).statusCode, 401, 'signed by the weak key: no strong key verifies it');

  const weakOnly = await startJwksServer(t, [await jwkOf(weak.publicKey), await jwkOf(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey)]);
  const { app: weakApp } = await setUp(t, jwksEnv(weakOnly.url));
  const res = await postIntent(weakApp, rs256(weak.privateKey));
  t.equal(res.statusCode, 503, 'only weak candidates');
  t.match(res.json(), { type: /intent-keys-unavailable$/ });
});

/** Only Date is faked: the download timeouts keep running on real timers. */
function fakeDate(t: Test) {
  const clock = FakeTimers.install({ toFake: ['Date'], now: Date.now() });
  t.teardown(() => {
    clock.uninstall();
  });
  return clock;
}

/** A token naming a kid nobody has, with a made-up signature: what a flood of forgeries looks like. */
function forgedUnknownKid(): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${b64({ alg: 'ES256', kid: 'nope' })}.${b64(claims())}.${Buffer.from('forged').toString('base64url')}`;
}

t.test('while the key set endpoint fails, unknown kids download it at most once per cooldown and are 401 while the cached set is fresh', async (t) => {
  const key = await signer('ES256', 'k');
  const jwks = await startJwksServer(t, [key.jwk]);
  const logs = captureLogs();
  const { app } = await setUp(t, jwksEnv(jwks.url, { LOG_LEVEL: 'info' }), { logStream: logs.stream });
  const clock = fakeDate(t);
  t.equal((await postIntent(app, await key.sign(claims()))).statusCode, 201, 'the set is cached');
  jwks.state.behaviour = 'status-500';
  clock.tick(COOLDOWN_MS);
  const before = jwks.state.fetches;
  for (let i = 0; i < 20; i++) {
    const res = await postIntent(app, forgedUnknownKid());
    t.equal(res.statusCode, 401, `forged token ${i}`);
    t.match(res.json(), { detail: /no key of the key set matches/ });
  }
  t.equal(jwks.state.fetches, before + 1, 'one download for 20 unknown kids, although it failed');
  const warnings = logs.lines().filter((line) => line.includes('could not be downloaded for an unknown kid'));
  t.equal(warnings.length, 1, 'the failing endpoint is logged once, at once');
  t.match(JSON.parse(warnings[0] ?? '{}'), { requestId: /^[0-9a-f-]{36}$/, level: 40 }, 'in the log of the request whose kid caused the download');
  t.equal((await postIntent(app, await key.sign(claims()))).statusCode, 201, 'the cached key still verifies');
  clock.tick(COOLDOWN_MS);
  for (let i = 0; i < 5; i++) t.equal((await postIntent(app, forgedUnknownKid())).statusCode, 401);
  t.equal(jwks.state.fetches, before + 2, 'one more download once the cooldown is over');
});

t.test('a stale key set with a failing endpoint is 503, and the endpoint is asked at most once per cooldown', async (t) => {
  const key = await signer('ES256', 'k');
  const jwks = await startJwksServer(t, [key.jwk]);
  const { app } = await setUp(t, jwksEnv(jwks.url));
  // The app's clock is the real one (taken before Date is faked): its intents keep real times.
  const issued = nowSeconds();
  const intent = () => key.sign(claims({ iat: issued, exp: issued + 600 }));
  const clock = fakeDate(t);
  t.equal((await postIntent(app, await intent())).statusCode, 201, 'the set is cached');
  jwks.state.behaviour = 'status-500';
  clock.tick(10 * 60 * 1000);
  const before = jwks.state.fetches;
  for (let i = 0; i < 5; i++) {
    const res = await postIntent(app, await intent());
    t.equal(res.statusCode, 503, `intent ${i}`);
    t.match(res.json(), { type: /intent-keys-unavailable$/ });
  }
  t.equal(jwks.state.fetches, before + 1, 'one download; the others are answered at once');
  clock.tick(COOLDOWN_MS);
  jwks.state.behaviour = 'serve';
  t.equal((await postIntent(app, await intent())).statusCode, 201, 'after the cooldown the endpoint is asked again');
  t.equal(jwks.state.fetches, before + 2);
});
