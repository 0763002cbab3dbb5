import { test, expect, visit, hydrated, screenshot, expectShell } from './fixtures';
import type { Locator, Page } from '@playwright/test';

const FEATURED = [
  { title: 'Aide au permis de conduire pour les jeunes', href: '/demarches/aide-permis-de-conduire' },
  { title: 'Transport scolaire adapté', href: '/demarches/transport-scolaire-adapte' },
  { title: 'Fonds d’aide à l’investissement des communes', href: '/demarches/fonds-investissement-communes' },
];
const NOT_FEATURED = ['Subvention aux associations sportives'];

/** Regex matching an accessible name that starts with `text`. */
function startsWith(text: string): RegExp {
  return new RegExp('^\\s*' + text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

/** The section (or region) whose h2 is "Démarches à la Une"; the innermost one if sections nest. */
function featuredBanner(page: Page): Locator {
  const heading = page.getByRole('heading', { level: 2, name: 'Démarches à la Une' });
  return page.locator('section, [role="region"]').filter({ has: heading }).last();
}

test.describe('accueil', () => {
  test('répond 200, en français, avec le titre et le gabarit commun', async ({ page }) => {
    await visit(page, '/');
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    await expect(page).toHaveTitle(/Guichet/);
    await expectShell(page);
  });

  test('le lien « Connexion » est en haut à droite', async ({ page }) => {
    await visit(page, '/');
    const link = page.getByRole('banner').getByRole('link', { name: 'Connexion', exact: true });
    await expect(link).toBeVisible();
    const box = await link.boundingBox();
    const viewport = page.viewportSize();
    expect(box, 'the link "Connexion" has a box').not.toBeNull();
    expect(viewport).not.toBeNull();
    expect(box!.x + box!.width / 2, 'the link "Connexion" is in the right half of the page').toBeGreaterThan(
      viewport!.width / 2,
    );
    const header = await page.getByRole('banner').boundingBox();
    expect(box!.y, 'the link "Connexion" is in the top of the header').toBeLessThan(header!.y + header!.height);
  });

  test('« Démarches à la Une » liste les démarches mises en avant, dans l’ordre', async ({ page }) => {
    await visit(page, '/');
    const banner = featuredBanner(page);
    await expect(banner).toBeVisible();

    const links = banner.getByRole('link');
    expect(await links.count(), 'at least two featured démarches').toBeGreaterThanOrEqual(2);

    for (const { title, href } of FEATURED) {
      const link = banner.getByRole('link', { name: startsWith(title) });
      await expect(link).toHaveCount(1);
      await expect(link).toBeVisible();
      await expect(link).toHaveAttribute('href', href);
    }

    // Order: as the database sorts them.
    const hrefs: string[] = [];
    for (const link of await links.all()) {
      const href = await link.getAttribute('href');
      if (href) hrefs.push(new URL(href, page.url()).pathname);
    }
    const positions = FEATURED.map(({ href }) => hrefs.indexOf(href));
    expect(positions[0], `featured links in order: ${hrefs.join(', ')}`).toBeGreaterThanOrEqual(0);
    expect(positions[1], `featured links in order: ${hrefs.join(', ')}`).toBeGreaterThan(positions[0]);
    expect(positions[2], `featured links in order: ${hrefs.join(', ')}`).toBeGreaterThan(positions[1]);

    for (const title of NOT_FEATURED) {
      await expect(banner.getByText(title)).toHaveCount(0);
    }

    await screenshot(page, 'home');
  });

  test('un clic sur une démarche à la Une ouvre sa page', async ({ page }) => {
    // The home page is a document: a first visit downloads no script or WASM of the app.
    const appFiles: string[] = [];
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (/^\/pkg\/.*\.(js|wasm)$/.test(pathname)) appFiles.push(pathname);
    });
    await visit(page, '/');
    await expect(page.locator('body')).toHaveAttribute('data-static', 'true');
    await featuredBanner(page).getByRole('link', { name: startsWith(FEATURED[0].title) }).click();
    await expect(page).toHaveURL(new RegExp(FEATURED[0].href + '$'));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(FEATURED[0].title);
    expect(appFiles, 'the home page and a démarche page load no script of the app').toEqual([]);
  });

  test('les pages sont des documents : après « Aide », l’accueil est chargé sans le client', async ({
    page,
  }, testInfo) => {
    test.skip(testInfo.project.name === 'js-off', 'the client needs JavaScript');
    // « Aide » has an island (« Tout déplier »), so it loads the client; a link from
    // there loads the home page as a document, which brings no script of the app.
    await visit(page, '/aide');
    await hydrated(page);
    const appFiles: string[] = [];
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (/^\/pkg\/.*\.(js|wasm)$/.test(pathname)) appFiles.push(pathname);
    });
    const nav = page.getByRole('navigation', { name: 'Menu principal' });
    await nav.getByRole('link', { name: 'Accueil', exact: true }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.locator('body')).toHaveAttribute('data-static', 'true');
    await featuredBanner(page).getByRole('link', { name: startsWith(FEATURED[0].title) }).click();
    await expect(page).toHaveURL(new RegExp(FEATURED[0].href + '$'));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(FEATURED[0].title);
    expect(appFiles, 'the home page and a démarche page load no script of the app').toEqual([]);
  });

  test('clavier : le premier Tab atteint « Aller au contenu », Entrée mène à #contenu', async ({ page }) => {
    await visit(page, '/');
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Aller au contenu', exact: true });
    await expect(skip).toBeFocused();
    await page.keyboard.press('Enter');
    const main = page.getByRole('main');
    await expect
      .poll(
        async () =>
          new URL(page.url()).hash === '#contenu' || (await main.evaluate((el) => el === document.activeElement)),
        { message: 'after Enter on the skip link, the URL hash is #contenu or <main id="contenu"> has focus' },
      )
      .toBe(true);
  });
});
