/**
 * Browser-test helpers: Debian's headless Chromium driven by playwright-core (its own
 * browser download is not reachable), a fresh profile per run, and screenshots. (The
 * viewer's test uses real ID tokens of a test issuer, test/helpers/tokens.ts.)
 */
import {existsSync, mkdirSync, mkdtempSync, rmSync} from 'fs';
import {tmpdir} from 'os';
import {join, resolve} from 'path';
import {BrowserContext, Page, chromium} from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is absent (apt-get install -y chromium)`;
}

export interface Browser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** A laptop screen. */
export const VIEWPORT = {width: 1366, height: 768};

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'gaffer-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: VIEWPORT,
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      rmSync(profile, {recursive: true, force: true});
    },
  };
}

/**
 * Where screenshots go: build/screenshots by default (so `npm test` leaves the work tree
 * clean); `npm run screenshots` sets GAFFER_SCREENSHOTS_DIR=docs/screenshots to refresh
 * the committed ones the README shows.
 */
export function screenshotDir(): string {
  const dir = resolve(process.env.GAFFER_SCREENSHOTS_DIR ?? join(__dirname, '../../screenshots'));
  mkdirSync(dir, {recursive: true});
  return dir;
}

export async function screenshot(page: Page, name: string, fullPage = false): Promise<string> {
  const path = join(screenshotDir(), `${name}.png`);
  // A full-page capture of a scrolled page would draw the sticky header mid-page.
  if (fullPage) await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({path, fullPage});
  return path;
}
