import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Test } from 'tap';

/*
 * Headless Debian Chromium for every browser test: the service's (test/browser) and the simulator's
 * (test/sandbox), which must load nothing from src/, so this file imports none of it.
 */

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Generous for a loaded CI machine; the flows themselves take well under a second each step. */
export const UI_TIMEOUT_MS = 15_000;

const SCREENSHOT_DIR = new URL('../../test-output/screenshots/', import.meta.url);

// Without the networking flags Chromium keeps calling Google's hosts, which this closed network refuses.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Headless Debian Chromium. Missing is a failure, never a skip: .ci/run installs it. With
 * `backForwardCache`, going back restores a page as it was, without running its scripts again, as
 * in a shopper's browser (Playwright turns the cache off by default).
 */
export async function launchBrowser(t: Test, { backForwardCache = false }: { backForwardCache?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing; install it with: apt-get install -y --no-install-recommends chromium`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    ...(backForwardCache ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}),
  });
  t.teardown(() => browser.close());
  return browser;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOT_DIR).pathname, fullPage: true });
}

export interface PageRun {
  page: Page;
  /** Uncaught exceptions seen so far; a correct page has none. */
  pageErrors: string[];
  /** Content-Security-Policy violations reported in the console. */
  cspViolations: string[];
}

/**
 * Runs `body` on a fresh browser context and saves test-output/screenshots/<name>.png of the final
 * state, or <name>-failure.png when the test failed.
 */
export async function withPage(
  t: Test,
  browser: Browser,
  name: string,
  body: (run: PageRun) => Promise<void>,
  setUp: (page: Page) => Promise<unknown> = () => Promise.resolve(),
): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 900, height: 800 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  await setUp(page);
  try {
    await body({ page, pageErrors, cspViolations });
  } catch (error) {
    // A failed screenshot (say, of a crashed page) must not hide the error that failed the test.
    await screenshot(page, `${name}-failure`).catch((shotError: unknown) => {
      t.comment(`no screenshot: ${String(shotError)}`);
    });
    throw error;
  }
  if (t.passing()) {
    await screenshot(page, name);
    // A failure shot left by an earlier run would otherwise suggest this test still fails.
    await rm(new URL(`${name}-failure.png`, SCREENSHOT_DIR), { force: true });
  } else {
    await screenshot(page, `${name}-failure`);
  }
}
