// One way to start Debian's Chromium headless for the tests, the benchmark and screenshots:
// the flags this machine's closed network needs, the WebGPU-on-SwiftShader flags, and a fresh
// profile directory every time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const BASE_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
];

export const executablePath = () => process.env.CHROME_PATH || '/usr/bin/chromium';

/** A persistent context on a fresh temporary profile. */
export function launchChromium({ headless = true, webgpu = true, prefix = 'hebb-chromium-', ...rest } = {}) {
  const exe = executablePath();
  if (!fs.existsSync(exe)) {
    throw new Error(`Chromium not found at ${exe}: install Debian's chromium (apt-get install chromium) or set CHROME_PATH`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return chromium.launchPersistentContext(dir, {
    executablePath: exe,
    headless,
    args: webgpu ? [...BASE_ARGS, ...WEBGPU_ARGS] : BASE_ARGS,
    ...rest,
  });
}
