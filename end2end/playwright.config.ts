import { defineConfig } from '@playwright/test';

// The server is started by the repository's test script (fresh database + demo data)
// before `npx playwright test` runs: there is deliberately no `webServer` block here.
const baseURL = process.env.GUICHET_E2E_BASE_URL || 'http://127.0.0.1:3000';

// Debian's Chromium; Playwright's own browser downloads are not available on these machines.
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export default defineConfig({
  testDir: 'tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // The list reporter prints one line per test and a closing summary ("N passed ...").
  reporter: [['list']],
  // The longest default-length flows (sign-up with two Argon2id hashes in a debug build,
  // JavaScript off) take about 28 s on a warm 2-core machine; a cold CI machine is
  // slower. A hung test still fails, after 90 s.
  timeout: 90_000,
  expect: { timeout: 10_000 },
  outputDir: 'test-results',
  use: {
    baseURL,
    locale: 'fr-FR',
    launchOptions: {
      executablePath,
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
    },
  },
  projects: [
    { name: 'js-on', use: { javaScriptEnabled: true } },
    { name: 'js-off', use: { javaScriptEnabled: false } },
  ],
});
