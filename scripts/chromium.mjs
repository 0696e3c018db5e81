// @ts-check
/** Locates Chromium for browser tests: $CHROME_PATH, else Debian's /usr/bin/chromium. */
import { existsSync } from 'node:fs';

export function chromiumPath() {
  const candidates = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  const found = candidates.find((p) => p && existsSync(p));
  if (found === undefined) {
    throw new Error(
      'Chromium not found: run `apt-get install -y chromium` (as root) or set CHROME_PATH to a Chrome/Chromium binary.',
    );
  }
  return found;
}
