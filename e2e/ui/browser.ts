/**
 * What the browser tests share: Debian's Chromium driven by playwright-core,
 * screenshots to DANGUS_SCREENSHOT_DIR when it is set, and waits that poll
 * the page instead of sleeping a fixed time.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';

export type Locator = ReturnType<Page['locator']>;

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshotDir = process.env.DANGUS_SCREENSHOT_DIR;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Chromium and one 1280×900 page whose uncaught errors are collected in `pageErrors`. */
export async function openBrowser(): Promise<{ browser: Browser; page: Page; pageErrors: string[] }> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(15_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return { browser, page, pageErrors };
}

/** Saves a full-page screenshot as `<name>.png` in DANGUS_SCREENSHOT_DIR; does nothing when it is unset. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!screenshotDir) return;
  mkdirSync(screenshotDir, { recursive: true });
  // From the top: a page scrolled down draws its sticky header mid-page in a full-page capture.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

export async function expectVisible(locator: Locator, timeout?: number): Promise<void> {
  await locator.first().waitFor({ state: 'visible', ...(timeout === undefined ? {} : { timeout }) });
}

/** Waits (up to 5 s) for the count to settle at `count`. */
export async function expectCount(locator: Locator, count: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((await locator.count()) !== count && Date.now() < deadline) await pause(100);
  expect(await locator.count()).toBe(count);
}

export async function expectAttribute(locator: Locator, name: string, value: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await locator.getAttribute(name)) !== value && Date.now() < deadline) await pause(100);
  expect(await locator.getAttribute(name)).toBe(value);
}

/** The text of the first match, whitespace collapsed ('' when there is none). */
export async function textOf(locator: Locator): Promise<string> {
  const first = locator.first();
  if ((await first.count()) === 0) return '';
  return ((await first.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` every 100 ms until it returns a value other than undefined; throws with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await pause(100);
  }
}
