import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Test } from 'tap';

/*
 * Headless Chromium for the app page's tests, without the BFF: test/browser/harness.ts builds the
 * service, and the simulator's tests must load without anything from src/. Same browser, flags and
 * screenshot folder as there.
 */

const CHROMIUM_PATH = '/usr/bin/chromium';
const UI_TIMEOUT_MS = 15_000;
const SCREENSHOT_DIR = new URL('../../test-output/screenshots/', import.meta.url);
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

/** Missing Chromium is a failure, never a skip (`sh scripts/ensure-chromium.sh` installs it). */
export async function launchBrowser(t: Test): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing; run sh scripts/ensure-chromium.sh`);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  t.teardown(() => browser.close());
  return browser;
}

/** Runs `body` on a fresh page; saves test-output/screenshots/<name>.png (or <name>-failure.png). */
export async function withPage(
  t: Test,
  browser: Browser,
  name: string,
  body: (run: { page: Page; pageErrors: string[] }) => Promise<void>,
): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 900, height: 800 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const shoot = async (suffix: string) => {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: new URL(`${name}${suffix}.png`, SCREENSHOT_DIR).pathname, fullPage: true });
  };
  try {
    await body({ page, pageErrors });
  } catch (error) {
    await shoot('-failure').catch(() => undefined);
    throw error;
  }
  await shoot(t.passing() ? '' : '-failure');
}
