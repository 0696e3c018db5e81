/** Path of the Chromium binary for browser tests ($CHROME_PATH or Debian's /usr/bin/chromium). */
export function chromiumPath(): string;
