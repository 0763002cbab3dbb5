// Profiles end to end, JavaScript on and off: A creates « Commune de Saint-Exemple », adds a
// share and passes the key; B joins through « Mes profils » → « Ajouter ou rejoindre un
// profil » → « Rejoindre un profil existant » → « Envoyer »; both see each other in
// « Composition »; A receives the email; the used key no longer works.
import { test, expect, visit, hydrated, screenshot, isJsDisabled, checkA11y } from './fixtures';
import type { Browser, Page } from '@playwright/test';
import { mailsTo } from './mail';

// Demo accounts (seeded by the test server): three different people.
const A = { email: 'usager@vallee-verte.example', password: 'Usager-Demo-2026', name: 'Camille Martin' };
// (Staff accounts now give a second-factor code at sign-in: B and C are citizens.)
const B = { email: 'voisin@vallee-verte.example', password: 'Usager-Demo-2026', name: 'Thomas Petit' };
const C = { email: 'benevole@vallee-verte.example', password: 'Usager-Demo-2026', name: 'Inès Moreau' };

async function ready(page: Page) {
  if (!isJsDisabled(page)) await hydrated(page);
}

async function personPage(browser: Browser, js: boolean, who: typeof A): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: js, locale: 'fr-FR' });
  const page = await context.newPage();
  await page.goto('/connexion');
  await ready(page);
  await page.getByLabel('Identifiant (adresse électronique)').fill(who.email);
  await page.getByLabel('Mot de passe', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Connecter' }).click();
  await expect(page).toHaveURL(/\/mon-compte$/);
  return page;
}

async function openJoinForm(page: Page) {
  await visit(page, '/mon-compte/profils');
  await ready(page);
  await page.getByRole('link', { name: 'Ajouter ou rejoindre un profil' }).click();
  await expect(page.getByRole('heading', { name: 'Rejoindre un profil existant' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Ajouter un profil' })).toBeVisible();
}

test.describe('profils', () => {
  test('créer un profil, ajouter un partage, le rejoindre avec la clé', async ({ page, browser }, testInfo) => {
    // Three people, each signing in, with an accessibility check at every step.
    test.setTimeout(90_000);
    const js = !isJsDisabled(page);
    const project = testInfo.project.name;
    const function_ = `Secrétaire de mairie (${project})`;

    // A creates the profile from « Mes profils ».
    const a = page;
    await a.goto('/connexion');
    await ready(a);
    await a.getByLabel('Identifiant (adresse électronique)').fill(A.email);
    await a.getByLabel('Mot de passe', { exact: true }).fill(A.password);
    await a.getByRole('button', { name: 'Connecter' }).click();
    await expect(a).toHaveURL(/\/mon-compte$/);
    await a.getByRole('link', { name: 'Mes profils', exact: true }).click();
    await expect(a.getByRole('heading', { level: 1, name: 'Mes profils' })).toBeVisible();
    await ready(a);
    await a.getByRole('link', { name: 'Ajouter ou rejoindre un profil' }).click();
    const create = a.getByRole('region', { name: 'Ajouter un profil' });
    await expect(create).toBeVisible();
    await checkA11y(a);
    await create.getByRole('radio', { name: 'Collectivité' }).check();
    await create.getByRole('textbox', { name: 'Nom' }).fill('Commune de Saint-Exemple');
    await create.getByRole('textbox', { name: 'Numéro SIRET' }).fill('213 502 388 00015');
    await create.getByRole('textbox', { name: 'Numéro et voie' }).fill('1 place de la Mairie');
    await create.getByRole('textbox', { name: 'Code postal' }).fill('00100');
    await create.getByRole('textbox', { name: 'Commune' }).fill('Saint-Exemple');
    await create.getByRole('textbox', { name: 'Votre fonction' }).fill('Maire');
    await create.getByRole('button', { name: 'Ajouter le profil' }).click();
    // A wrong SIRET: the message by the field, everything typed kept.
    await expect(a.getByRole('alert').first()).toContainText('Ce numéro SIRET n’existe pas');
    const createAgain = a.getByRole('region', { name: 'Ajouter un profil' });
    await expect(createAgain.getByRole('textbox', { name: 'Nom' })).toHaveValue('Commune de Saint-Exemple');
    await expect(createAgain.getByRole('textbox', { name: 'Votre fonction' })).toHaveValue('Maire');
    await createAgain.getByRole('textbox', { name: 'Numéro SIRET' }).fill('213 502 388 00019');
    await createAgain.getByRole('button', { name: 'Ajouter le profil' }).click();
    await expect(a.getByRole('heading', { level: 1, name: 'Commune de Saint-Exemple' })).toBeVisible();
    await expect(a.getByText('Le profil est créé : vous en êtes le gestionnaire.')).toBeVisible();
    const profileUrl = new URL(a.url());
    const profilePath = profileUrl.pathname;
    await checkA11y(a);

    // « Composition » → « Partage(s) du profil » → « Ajouter un partage ».
    await ready(a);
    await a.getByRole('navigation', { name: 'Sections du profil' }).getByRole('link', { name: 'Composition' }).click();
    await expect(a.getByRole('heading', { level: 2, name: 'Partage(s) du profil' })).toBeVisible();
    await ready(a);
    await a.getByRole('button', { name: 'Ajouter un partage' }).click();
    const keyBox = a.locator('.share-key code');
    await expect(keyBox).toBeVisible();
    const key = (await keyBox.textContent())!.trim();
    expect(key).toMatch(/^([2-9A-HJ-NP-Z]{4}-){6}[2-9A-HJ-NP-Z]{4}$/);
    await expect(a.getByText('Elle ne sera plus jamais affichée')).toBeVisible();
    if (js) await expect(a.getByRole('button', { name: 'Copier la clé' })).toBeVisible();
    await checkA11y(a);
    await screenshot(a, 'profil-partage');
    // Shown once: the page reloaded no longer has it.
    await a.reload();
    await expect(a.locator('.share-key')).toHaveCount(0);
    await expect(a.getByRole('cell', { name: 'Active' })).toBeVisible();

    // B joins with the key.
    const b = await personPage(browser, js, B);
    await openJoinForm(b);
    const join = b.getByRole('region', { name: 'Rejoindre un profil existant' });
    await join.getByRole('textbox', { name: 'Clé de partage' }).fill(key);
    await join.getByRole('textbox', { name: 'Votre fonction' }).fill(function_);
    await checkA11y(b);
    await join.getByRole('button', { name: 'Envoyer' }).click();
    await expect(b.getByText('Vous avez rejoint le profil')).toBeVisible();
    await expect(b.getByRole('heading', { level: 1, name: 'Commune de Saint-Exemple' })).toBeVisible();
    const members = b.getByRole('table', { name: 'Membres du profil' });
    await expect(members.getByRole('rowheader', { name: A.name })).toBeVisible();
    await expect(members.getByRole('rowheader', { name: `${B.name} (vous)` })).toBeVisible();
    await expect(members.getByRole('cell', { name: function_ })).toBeVisible();
    await checkA11y(b);
    await screenshot(b, 'profil-composition-membre');

    // A sees B; the share is used.
    await visit(a, profilePath + '/composition');
    const aMembers = a.getByRole('table', { name: 'Membres du profil' });
    await expect(aMembers.getByRole('rowheader', { name: B.name })).toBeVisible();
    await expect(aMembers.getByRole('cell', { name: function_ })).toBeVisible();
    await expect(a.getByRole('cell', { name: `Utilisée par ${B.name}` })).toBeVisible();

    // A received the email saying who joined and as what.
    const mails = await mailsTo(A.email, 1);
    const joined = mails.find((m) => m.text.includes(function_));
    expect(joined, 'the email to the manager').toBeDefined();
    expect(joined!.subject).toBe(`${B.name} a rejoint le profil « Commune de Saint-Exemple »`);

    // The used key no longer works.
    const c = await personPage(browser, js, C);
    await openJoinForm(c);
    const cJoin = c.getByRole('region', { name: 'Rejoindre un profil existant' });
    await cJoin.getByRole('textbox', { name: 'Clé de partage' }).fill(key);
    await cJoin.getByRole('textbox', { name: 'Votre fonction' }).fill('Adjointe');
    await cJoin.getByRole('button', { name: 'Envoyer' }).click();
    await expect(c.getByRole('alert').last()).toContainText('Cette clé a déjà servi');
    await expect(c.getByRole('region', { name: 'Rejoindre un profil existant' }).getByRole('textbox', { name: 'Clé de partage' })).toHaveValue(key);
    await checkA11y(c);
    await b.context().close();
    await c.context().close();
  });
});
