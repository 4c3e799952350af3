// What every browser test (web/test/*.test.mjs) shares: the server under test (CIVMAP_URL, set by
// scripts/browser-test.sh), Debian's chromium, the folder for screenshots and PDFs, and chromium's flags for a
// headless run with software WebGL (SwiftShader) and no outside traffic.
import { fileURLToPath } from 'node:url';

export const BASE = process.env.CIVMAP_URL;
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const RESULTS = fileURLToPath(new URL('../test-results/', import.meta.url));
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage'];
