import { test, expect, visit, expectShell, FOOTER_LINKS } from './fixtures';

const PAGES = [
  { path: '/accessibilite', h1: /^Déclaration d[’']accessibilité$/ },
  { path: '/mentions-legales', h1: /^Mentions légales$/ },
  { path: '/demarches/transport-scolaire-adapte', h1: /^Transport scolaire adapté$/ },
];

test.describe('pages', () => {
  for (const { path, h1 } of PAGES) {
    test(`${path} répond 200 avec son titre`, async ({ page }) => {
      await visit(page, path);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(h1);
      await expectShell(page);
    });
  }

  test('les liens du pied de page mènent à leurs pages', async ({ page }) => {
    await visit(page, '/');
    const footer = page.getByRole('contentinfo');
    const h1 = page.getByRole('heading', { level: 1 });

    await footer.getByRole('link', { name: FOOTER_LINKS.accessibilite }).click();
    await expect(page).toHaveURL(/\/accessibilite$/);
    await expect(h1).toHaveText(/^Déclaration d[’']accessibilité$/);

    await footer.getByRole('link', { name: FOOTER_LINKS.mentionsLegales }).click();
    await expect(page).toHaveURL(/\/mentions-legales$/);
    await expect(h1).toHaveText('Mentions légales');

    await footer.getByRole('link', { name: FOOTER_LINKS.aide }).click();
    await expect(page).toHaveURL(/\/aide$/);
    await expect(h1).toHaveText('Aide');
  });
});
