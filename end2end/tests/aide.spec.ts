import { test, expect, visit, hydrated, screenshot, expectShell } from './fixtures';

/** « Mot de passe oublié ? », whatever spaces (often non-breaking) surround the words. */
const FORGOTTEN = /«\s*Mot de passe oublié\s*\?\s*»/;

test.describe('aide', () => {
  test('titres, questions en <details> et réponses', async ({ page }) => {
    await visit(page, '/aide');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Aide');
    await expect(page.getByRole('heading', { level: 2, name: 'Le compte', exact: true })).toBeVisible();
    await expect(page.getByRole('heading', { level: 2, name: 'Les démarches', exact: true })).toBeVisible();
    await expectShell(page);

    const main = page.getByRole('main');
    expect(await main.locator('details').count(), 'the questions are <details> elements').toBeGreaterThan(0);
    await expect(main.locator('details > summary').first()).toBeVisible();

    // Questions about the password; one of their answers names the « Mot de passe oublié ? » link.
    const password = main.locator('details').filter({ has: page.locator('summary', { hasText: /mot de passe/i }) });
    expect(await password.count(), 'a question whose summary mentions "mot de passe"').toBeGreaterThan(0);
    await expect(password.filter({ hasText: FORGOTTEN }).first()).toBeAttached();

    // Answers (closed <details> still hold their text).
    await expect(main).toContainText('Soumettre');
    await expect(main).toContainText('Mes documents reçus');

    await screenshot(page, 'aide');
  });

  test('un clic sur une question l’ouvre (natif, sans JavaScript)', async ({ page }) => {
    await visit(page, '/aide');
    const password = page
      .getByRole('main')
      .locator('details')
      .filter({ has: page.locator('summary', { hasText: /mot de passe/i }) })
      .filter({ hasText: FORGOTTEN })
      .first();
    await expect(password).not.toHaveAttribute('open');
    await expect(password.getByText(FORGOTTEN).first()).toBeHidden();
    await password.locator('summary').click();
    await expect(password).toHaveAttribute('open', '');
    await expect(password.getByText(FORGOTTEN).first()).toBeVisible();
  });

  test('sans JavaScript, pas de bouton « Tout déplier »', async ({ page }, testInfo) => {
    test.skip(testInfo.project.name !== 'js-off', 'the button appears once the client runs');
    await visit(page, '/aide');
    await expect(page.getByRole('button', { name: /Tout (dé|re)plier/ })).toHaveCount(0);
  });

  test('avec JavaScript, « Tout déplier » ouvre tout et « Tout replier » referme tout', async ({ page }, testInfo) => {
    test.skip(testInfo.project.name === 'js-off', 'needs the hydrated client');
    await visit(page, '/aide');
    await hydrated(page);

    const details = page.locator('details');
    const total = await details.count();
    expect(total).toBeGreaterThan(1);

    const unfold = page.getByRole('button', { name: 'Tout déplier', exact: true });
    await expect(unfold).toBeVisible();
    await unfold.click();
    await expect(page.locator('details[open]')).toHaveCount(total);
    await expect(page.locator('details:not([open])')).toHaveCount(0);

    const fold = page.getByRole('button', { name: 'Tout replier', exact: true });
    await expect(fold).toBeVisible();
    await expect(unfold).toHaveCount(0);
    await fold.click();
    await expect(page.locator('details[open]')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Tout déplier', exact: true })).toBeVisible();
  });
});
