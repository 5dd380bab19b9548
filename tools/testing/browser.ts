/**
 * A real browser for the web examples: Debian's headless Chromium driven by
 * playwright-core (no browser download). It can run inside a network
 * namespace (through `ip netns exec`, which keeps the pipe Playwright talks
 * over), and it trusts a test certificate only by its public key's hash, so
 * nothing is installed in a certificate store.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's headless build first (chromium-headless-shell), the full browser otherwise. */
export function chromiumBinary(): string | undefined {
  return ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium'].find((p) => fs.existsSync(p));
}

/** Chromium's `--ignore-certificate-errors-spki-list` value for a PEM certificate: base64 SHA-256 of its public key. */
export function spkiHash(pem: string): string {
  const der = new crypto.X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(der).digest('base64');
}

export interface LaunchOptions {
  /** Run the browser inside this network namespace. */
  readonly netns?: string;
  /** Certificates (PEM) accepted although no root signs them: only these exact keys. */
  readonly trust?: readonly string[];
}

/** One browser; close it with `close()` (it also removes the namespace wrapper). */
export async function launchChromium(
  options: LaunchOptions = {},
): Promise<{ browser: Browser; close(): Promise<void> }> {
  const binary = chromiumBinary();
  if (!binary) throw new Error('no Chromium: apt-get install chromium-headless-shell (see .ci/apt-packages.txt)');
  let executablePath = binary;
  let wrapperDir: string | undefined;
  if (options.netns) {
    wrapperDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-chromium-'));
    executablePath = path.join(wrapperDir, 'chromium-in-netns');
    fs.writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec '${options.netns}' '${binary}' "$@"\n`, {
      mode: 0o755,
    });
  }
  const args = options.trust?.length
    ? [`--ignore-certificate-errors-spki-list=${options.trust.map(spkiHash).join(',')}`]
    : [];
  const browser = await chromium.launch({ executablePath, args, headless: true, timeout: 30_000 });
  return {
    browser,
    async close() {
      await browser.close();
      if (wrapperDir) fs.rmSync(wrapperDir, { recursive: true, force: true });
    },
  };
}

export interface LoadedPage {
  /** Status of every response, by path. */
  readonly statuses: Readonly<Record<string, number>>;
  /** The page's rendered text (innerText of body). */
  readonly text: string;
  /** The h1's computed colour: tells that the stylesheet was applied. */
  readonly h1Color: string;
  /** The first image's decoded width: 0 when it did not load. */
  readonly imageWidth: number;
  /** From navigation start to the load event (ms), as the page measured it. */
  readonly loadMs: number;
}

/** Loads `url` in a fresh page, waits for the load event, and reads what was rendered. */
export async function loadPage(browser: Browser, url: string, screenshot?: string): Promise<LoadedPage> {
  const page = await browser.newPage();
  try {
    const statuses: Record<string, number> = {};
    page.on('response', (r) => (statuses[new URL(r.url()).pathname] = r.status()));
    await page.goto(url, { waitUntil: 'load', timeout: 15_000 });
    // Runs in the page; a string, as this project is compiled without the DOM's types.
    const seen = (await page.evaluate(`(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const img = document.querySelector('img');
      const h1 = document.querySelector('h1');
      return {
        text: document.body.innerText,
        h1Color: h1 ? getComputedStyle(h1).color : '',
        imageWidth: img ? img.naturalWidth : 0,
        loadMs: nav.loadEventStart - nav.startTime,
      };
    })()`)) as Omit<LoadedPage, 'statuses'>;
    if (screenshot) {
      fs.mkdirSync(path.dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot });
    }
    return { statuses, ...seen };
  } finally {
    await page.close();
  }
}
