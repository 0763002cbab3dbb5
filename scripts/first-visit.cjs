// What a first visit downloads: opens each page in a fresh headless Chromium context (empty
// cache), waits until the page is hydrated (`<body data-hydrated="true">`, set once the
// page and its lazily loaded WASM chunks are hydrated), and prints one line per file of
// /pkg/ the browser fetched: `<page path> <site-relative file>`. scripts/bench.sh adds
// up their brotli sizes.
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
      const files = new Set();
      const errors = [];
      page.on('response', (response) => {
        const url = new URL(response.url());
        if (url.pathname.startsWith('/pkg/')) files.add(url.pathname.slice(1));
      });
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(base + page_path);
      try {
        await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30000 });
        // Anything the hydrated page still fetches on its own (nothing, today).
        await page.waitForLoadState('networkidle');
      } catch (error) {
        console.error(`${page_path}: not hydrated within 30 s ${errors.join(' | ')}`);
        failed = true;
      }
      for (const file of [...files].sort()) console.log(`${page_path} ${file}`);
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
