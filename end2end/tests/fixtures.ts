// Shared fixtures and helpers of Guichet's end-to-end suite.
//
// Every spec imports `test` and `expect` from here (never from '@playwright/test'
// directly) so that the automatic accessibility check runs after each test.
import { test as base, expect, type BrowserContext, type Page, type Response } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import path from 'node:path';

export { expect };

/** WCAG levels checked by axe on every page. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Whether JavaScript runs in each context that the fixtures created (set from the project's option). */
const jsEnabledByContext = new WeakMap<BrowserContext, boolean>();

/** Last DOM that checkA11y saw on each page, so that the check after a test does not redo an identical run. */
const lastCheckedHtml = new WeakMap<Page, string>();

/**
 * True when JavaScript is disabled in the page's context. The source of truth is the
 * `javaScriptEnabled` option recorded by the `context` fixture below; for a context made
 * by hand, the current project's option (and, failing that, its name) decides.
 */
export function isJsDisabled(page: Page): boolean {
  const known = jsEnabledByContext.get(page.context());
  if (known !== undefined) return !known;
  const info = base.info();
  if (info.project.use.javaScriptEnabled !== undefined) return info.project.use.javaScriptEnabled === false;
  return info.project.name === 'js-off';
}

type AxeViolation = Awaited<ReturnType<AxeBuilder['analyze']>>['violations'][number];

/** One readable line per violation, plus the first target selectors of its nodes. */
function describeViolations(violations: AxeViolation[]): string[] {
  return violations.map((v) => {
    const targets = v.nodes
      .slice(0, 5)
      .map((n) => '      ' + n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : String(t))).join(' | '))
      .join('\n');
    const more = v.nodes.length > 5 ? `\n      … and ${v.nodes.length - 5} more node(s)` : '';
    return `${v.id} [${v.impact ?? 'n/a'}] ${v.help} (${v.helpUrl})\n${targets}${more}`;
  });
}

async function analyze(page: Page): Promise<AxeViolation[]> {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  return results.violations;
}

/**
 * Serialised DOM of the page with every script removed: <script> elements, module
 * preloads and script (or WebAssembly) preloads. <noscript> elements are unwrapped, since
 * their content is what a user without JavaScript gets. The work is done by DOMParser,
 * which never runs scripts, in the given (JavaScript-enabled) scratch page.
 */
async function stripScripts(scratch: Page, html: string): Promise<string> {
  return scratch.evaluate((source) => {
    const doc = new DOMParser().parseFromString(source, 'text/html');
    const selectors = [
      'script',
      'link[rel~="modulepreload" i]',
      'link[rel~="preload" i][as="script" i]',
      'link[rel~="preload" i][as="worker" i]',
      'link[rel~="preload" i][as="fetch" i][href*=".wasm"]',
    ];
    doc.querySelectorAll(selectors.join(',')).forEach((el) => el.remove());
    doc.querySelectorAll('noscript').forEach((el) => el.replaceWith(...Array.from(el.childNodes)));
    // Inline event handlers never run without JavaScript either.
    doc.querySelectorAll('*').forEach((el) => {
      for (const attr of Array.from(el.attributes)) {
        if (/^on/i.test(attr.name)) el.removeAttribute(attr.name);
      }
    });
    const doctype = doc.doctype ? `<!DOCTYPE ${doc.doctype.name}>\n` : '';
    return doctype + doc.documentElement.outerHTML;
  }, html);
}

/**
 * Runs axe (WCAG 2.1 A and AA) on the page and fails on any violation.
 *
 * With JavaScript disabled axe cannot run in the page itself, so the DOM that the
 * server sent (as the user without JavaScript has it now) is taken, stripped of its
 * scripts, and served at the same URL in a new JavaScript-enabled context of the same
 * browser: stylesheets and images still load from the real server, so the check
 * (contrast included) sees the page as rendered.
 */
export async function checkA11y(page: Page): Promise<void> {
  const url = page.url();
  const html = await page.content();
  lastCheckedHtml.set(page, html);

  let violations: AxeViolation[];
  if (!isJsDisabled(page)) {
    violations = await analyze(page);
  } else {
    const browser = page.context().browser();
    if (!browser) throw new Error('checkA11y: the page has no browser to open a JavaScript-enabled context in');
    const context = await browser.newContext({
      javaScriptEnabled: true,
      locale: 'fr-FR',
      viewport: page.viewportSize(),
    });
    try {
      const scratch = await context.newPage();
      const stripped = await stripScripts(scratch, html);
      const target = new URL(url);
      target.hash = '';
      await context.route(
        (u) => {
          const candidate = new URL(u.href);
          candidate.hash = '';
          return candidate.href === target.href;
        },
        (route) =>
          route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: stripped }),
      );
      await scratch.goto(url, { waitUntil: 'load' });
      violations = await analyze(scratch);
    } finally {
      await context.close();
    }
  }

  const lines = describeViolations(violations);
  const mode = isJsDisabled(page) ? 'JavaScript off: DOM sent by the server, scripts removed' : 'JavaScript on';
  expect(
    lines,
    `axe found ${violations.length} WCAG 2.1 A/AA violation(s) on ${url} (${mode}):\n  - ${lines.join('\n  - ')}\n`,
  ).toEqual([]);
}

/**
 * Opens `path` (relative to baseURL), checks the HTTP status (200 unless told) and then
 * the page's accessibility. Returns the response, e.g. for its headers.
 */
export async function visit(page: Page, urlPath: string, expectedStatus = 200): Promise<Response> {
  const response = await page.goto(urlPath);
  expect(response, `no HTTP response for ${urlPath}`).not.toBeNull();
  expect(response!.status(), `HTTP status of ${urlPath}`).toBe(expectedStatus);
  await checkA11y(page);
  return response!;
}

/**
 * Waits until the Leptos client (WASM) has hydrated the page: the app then sets
 * data-hydrated="true" on <body>. A public page sent without the client
 * (`<body data-static="true">`: home, catalogue, a démarche, legal pages) is ready as it
 * is. Only meaningful with JavaScript on.
 */
export async function hydrated(page: Page): Promise<void> {
  if (isJsDisabled(page)) {
    throw new Error('hydrated(page) was called with JavaScript disabled: the page never hydrates');
  }
  const errors = watchErrors(page);
  try {
    await page
      .locator('body[data-hydrated="true"], body[data-static="true"]')
      .waitFor({ state: 'attached', timeout: 20_000 });
  } catch (error) {
    // Slow (a loaded machine) or broken (a panic while hydrating): say which.
    throw new Error(
      `${page.url()} did not hydrate within 20 s; errors of this page since the test's first hydration: ${
        errors.join(' | ') || 'none'
      }`,
      { cause: error },
    );
  }
}

/** Errors of each page (uncaught exceptions, console errors), watched from the first `hydrated` call. */
const pageErrors = new WeakMap<Page, string[]>();

function watchErrors(page: Page): string[] {
  const known = pageErrors.get(page);
  if (known) return known;
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** Saves a full-page PNG as end2end/screenshots/<project>-<name>.png, for people to review. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const info = base.info();
  const root = info.config.configFile ? path.dirname(info.config.configFile) : process.cwd();
  const file = path.join(root, 'screenshots', `${info.project.name}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Accessible names of the footer links. The accessibility link may carry the RGAA
 * compliance status after its name ("Accessibilité : non conforme"), as French law asks.
 */
export const FOOTER_LINKS = {
  aide: /^Aide$/,
  accessibilite: /^Accessibilité(\s*:.*)?$/,
  mentionsLegales: /^Mentions légales$/,
};

/**
 * The shell that every page has: skip link to <main id="contenu">, header with the
 * département's and the portal's names and the "Connexion" link, main navigation, footer.
 */
export async function expectShell(page: Page): Promise<void> {
  const skip = page.getByRole('link', { name: 'Aller au contenu', exact: true });
  await expect(skip).toHaveCount(1);
  await expect(skip).toHaveAttribute('href', '#contenu');
  await expect(page.getByRole('main')).toHaveAttribute('id', 'contenu');

  const header = page.getByRole('banner');
  await expect(header).toBeVisible();
  await expect(header).toContainText('Département de la Vallée-Verte');
  await expect(header).toContainText('Guichet');
  await expect(header.getByRole('link', { name: 'Connexion', exact: true })).toHaveAttribute('href', '/connexion');

  const nav = page.getByRole('navigation', { name: 'Menu principal' });
  await expect(nav).toBeVisible();
  for (const [name, href] of [
    ['Accueil', '/'],
    ['Toutes les démarches', '/demarches'],
    ['Aide', '/aide'],
  ]) {
    await expect(nav.getByRole('link', { name, exact: true })).toHaveAttribute('href', href);
  }

  const footer = page.getByRole('contentinfo');
  await expect(footer).toBeVisible();
  for (const [name, href] of [
    [FOOTER_LINKS.aide, '/aide'],
    [FOOTER_LINKS.accessibilite, '/accessibilite'],
    [FOOTER_LINKS.mentionsLegales, '/mentions-legales'],
  ] as const) {
    await expect(footer.getByRole('link', { name })).toHaveAttribute('href', href);
  }
}

type Fixtures = {
  /** Runs checkA11y on the page a test ends on (when it is an http(s) page). */
  a11yAfterEach: void;
};

export const test = base.extend<Fixtures>({
  // Records, for isJsDisabled(), whether JavaScript runs in the test's context.
  context: async ({ context, javaScriptEnabled }, use) => {
    jsEnabledByContext.set(context, javaScriptEnabled !== false);
    await use(context);
  },

  a11yAfterEach: [
    async ({ page }, use, testInfo) => {
      await use();
      // A test that failed or was skipped already says what matters.
      if (testInfo.status !== 'passed' || testInfo.expectedStatus !== 'passed') return;
      if (page.isClosed() || !/^https?:/.test(page.url())) return;
      // Nothing changed since the last check of this page (e.g. a test that only visit()ed).
      if (lastCheckedHtml.get(page) === (await page.content())) return;
      await checkA11y(page);
    },
    { auto: true, timeout: 45_000, title: 'accessibility check of the final page' },
  ],
});
