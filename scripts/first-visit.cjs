// What a first visit downloads: opens each page in a fresh headless Chromium context (empty
// cache), waits until the page is hydrated (`<body data-hydrated="true">`, set once the
// page and its lazily loaded WASM chunks are hydrated; a public page sent without the
// client carries `data-static="true"` instead), then until the network is idle,
// and prints one line per file of /pkg/ the browser fetched: `<page path> <site-relative
// file> before|after`, after for a file requested once the page was hydrated (a group
// the page prefetches for the next step). scripts/bench.sh adds up their brotli sizes.
//
// usage: node scripts/first-visit.cjs http://127.0.0.1:3999 / /connexion /demarches/x
const path = require('node:path');
const { chromium } = require(path.join(__dirname, '..', 'end2end', 'node_modules', 'playwright'));

(async () => {
  const [base, ...pages] = process.argv.slice(2);
  if (!base || pages.length === 0) {
    console.error('usage: node scripts/first-visit.cjs <base URL> <path>...');
    process.exit(2);
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  });
  let failed = false;
  try {
    for (const page_path of pages) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors = [];
      // The moment the page is marked hydrated, in the page's own clock: a file whose
      // request started later was fetched for later (a prefetched group).
      await page.addInitScript(() => {
        new MutationObserver((_, observer) => {
          if (document.body && document.body.dataset.hydrated === 'true') {
            window.__hydratedAt = performance.now();
            observer.disconnect();
          }
        }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
      });
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(base + page_path);
      try {
        // A public page is sent without the client (`<body data-static="true">`).
        await page.waitForSelector('body[data-hydrated="true"], body[data-static="true"]', { timeout: 30000 });
        // What the hydrated page still fetches on its own (a prefetched group).
        await page.waitForLoadState('networkidle');
      } catch (error) {
        console.error(`${page_path}: not hydrated within 30 s ${errors.join(' | ')}`);
        failed = true;
      }
      const entries = await page.evaluate(() =>
        performance
          .getEntriesByType('resource')
          .map((entry) => [new URL(entry.name).pathname, entry.startTime <= (window.__hydratedAt ?? Infinity)]),
      );
      const files = new Map();
      for (const [pathname, before] of entries) {
        if (pathname.startsWith('/pkg/') && !files.has(pathname.slice(1))) {
          files.set(pathname.slice(1), before ? 'before' : 'after');
        }
      }
      for (const [file, when] of [...files].sort()) console.log(`${page_path} ${file} ${when}`);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
