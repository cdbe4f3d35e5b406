// A headless browser for the tests that look at what an operator sees (the Temporal Web UI): Debian's chromium driven
// by playwright-core, which downloads no browser of its own. Screenshots go to test-artifacts/ (gitignored).
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** CHROMIUM_PATH, else Debian's package (`.ci/run` installs it when missing). */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHROMIUM_PATH || '/usr/bin/chromium';
}

/** No sandbox (CI runs as root, where chromium refuses it), nothing that calls home: the machine has no internet. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const ARTIFACTS_DIR = path.resolve(import.meta.dirname, '../../test-artifacts');

export class BrowserMissingError extends Error {
  override readonly name = 'BrowserMissingError';
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  try {
    await access(executablePath, constants.X_OK);
  } catch (cause) {
    throw new BrowserMissingError(
      `no chromium at ${executablePath}: .ci/run installs Debian's package (apt-get install --no-install-recommends chromium, as root); ` +
        'or set CHROMIUM_PATH to a Chromium/Chrome executable',
      { cause },
    );
  }
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}

/** A full-page screenshot under test-artifacts/<name>.png; its path, for the test's output. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
