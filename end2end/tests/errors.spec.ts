import { test, expect, visit, screenshot, expectShell } from './fixtures';

test.describe('erreurs', () => {
  test('une adresse inconnue répond 404 « Page introuvable » dans le gabarit commun', async ({ page }) => {
    await visit(page, '/page-qui-n-existe-pas', 404);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page introuvable');
    await expect(page.getByRole('link', { name: /^Retour à l[’']accueil$/ })).toHaveAttribute('href', '/');
    await expectShell(page);
    await screenshot(page, '404');
  });

  test('une démarche inconnue répond 404 « Page introuvable »', async ({ page }) => {
    await visit(page, '/demarches/demarche-inconnue', 404);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page introuvable');
    await expectShell(page);
  });
});
