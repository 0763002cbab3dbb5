import { test, expect, visit, hydrated } from './fixtures';

test.describe('sécurité', () => {
  test.beforeEach(async ({}, testInfo) => {
    test.skip(testInfo.project.name === 'js-off', 'headers and client errors are checked once, with JavaScript on');
  });

  test('en-têtes de sécurité de la page d’accueil', async ({ page }) => {
    const response = await visit(page, '/');
    const headers = await response.allHeaders();

    const csp = headers['content-security-policy'];
    expect(csp, 'Content-Security-Policy header').toBeTruthy();
    expect(csp).toContain("frame-ancestors 'none'");
    const scriptSrc = csp
      .split(';')
      .map((d) => d.trim())
      .find((d) => /^script-src\s/i.test(d));
    expect(scriptSrc, `a script-src directive in: ${csp}`).toBeTruthy();
    expect(scriptSrc).toMatch(/'nonce-[A-Za-z0-9+/_=-]+'/);

    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy'], 'Referrer-Policy header').toBeTruthy();
  });

  test('ni violation de CSP ni erreur d’hydratation dans la console', async ({ page }) => {
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));

    const nav = page.getByRole('navigation', { name: 'Menu principal' });
    const h1 = page.getByRole('heading', { level: 1 });

    // The home page, sent without the client, then the app (« Aide »), whose router shows
    // the home page and « Aide » again.
    await visit(page, '/');
    await nav.getByRole('link', { name: 'Aide', exact: true }).click();
    await expect(page).toHaveURL(/\/aide$/);
    await expect(h1).toHaveText('Aide');
    await hydrated(page);
    await nav.getByRole('link', { name: 'Accueil', exact: true }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole('heading', { level: 2, name: 'Démarches à la Une' })).toBeVisible();
    await nav.getByRole('link', { name: 'Aide', exact: true }).click();
    await expect(page).toHaveURL(/\/aide$/);
    await expect(h1).toHaveText('Aide');

    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
    expect(
      consoleErrors.filter((text) => /Content Security Policy|hydrat/i.test(text)),
      `console errors about CSP or hydration (all console errors: ${JSON.stringify(consoleErrors)})`,
    ).toEqual([]);
  });
});
