import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where a Debian/Ubuntu machine (and `.ci/run`) installs Chromium; `CHROMIUM_PATH` wins. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH || CANDIDATES.find((p) => existsSync(p));
  if (!path) {
    throw new Error(
      "no Chromium for the console's browser tests: install Debian's package (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH",
    );
  }
  return path;
}

/** Headless Chromium driven by playwright-core (no browser download: the system's). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // root in a container has no user namespace for Chromium's sandbox
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}
