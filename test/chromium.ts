import { existsSync } from 'node:fs';
import { chromium } from 'playwright';

/** Flags that give headless Chromium a WebGPU adapter without a GPU (SwiftShader) and keep it off the network. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const SYSTEM_CHROMIUMS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/snap/bin/chromium'];

/**
 * Finds a Chromium: $CHROMIUM_PATH, then a system install, then Playwright's own download.
 * Throws with instructions when there is none, so browser tests never pass by not running.
 */
export function findChromium(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, but no file is there`);
    return fromEnv;
  }
  for (const path of SYSTEM_CHROMIUMS) if (existsSync(path)) return path;
  let bundled = '';
  try {
    bundled = chromium.executablePath();
  } catch {
    // Playwright throws when it has no browser of its own; fall through to the instructions.
  }
  if (bundled && existsSync(bundled)) return bundled;
  throw new Error(
    'No Chromium found for the browser tests. Set CHROMIUM_PATH to a Chromium or Chrome binary, ' +
      'install one (Debian/Ubuntu: `apt-get install chromium`), or run `npx playwright install chromium`.',
  );
}

export function chromiumLaunchOptions(): { executablePath: string; args: string[] } {
  return { executablePath: findChromium(), args: CHROMIUM_FLAGS };
}
