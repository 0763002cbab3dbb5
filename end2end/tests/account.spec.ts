// Accounts end to end, with JavaScript on and off: sign-up and its confirmation email,
// « J'ai déjà un compte » on the home page, « Mon compte », « Mes données personnelles »
// edited field by field, « Mot de passe oublié ? » followed from the real email, deletion.
import { test, expect, visit, hydrated, screenshot, isJsDisabled, checkA11y } from './fixtures';
import type { Page } from '@playwright/test';
import { mailsTo, linkIn, uniqueEmail } from './mail';

const PASSWORD = 'cheval agrafe batterie correcte';
const NEW_PASSWORD = 'Lune-Verte-Sous-La-Pluie-42';

async function ready(page: Page) {
  if (!isJsDisabled(page)) await hydrated(page);
}

async function signUp(page: Page, email: string) {
  await visit(page, '/inscription');
  await ready(page);
  await page.getByRole('radio', { name: 'Madame' }).check();
  await page.getByRole('textbox', { name: 'Nom', exact: true }).fill('Martin');
  await page.getByRole('textbox', { name: 'Prénom' }).fill('Camille');
  await page.getByRole('textbox', { name: 'Adresse électronique' }).fill(email);
  await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirmation du mot de passe').fill(PASSWORD);
  await page.getByRole('checkbox', { name: 'J’accepte les conditions d’utilisation du portail' }).check();
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Vérifiez votre boîte de réception' })).toBeVisible();
  expect(new URL(page.url()).pathname).toBe('/inscription/verifiez-vos-courriels');
}

async function signInFrom(page: Page, email: string, password: string) {
  const zone = page.getByRole('region', { name: 'J’ai déjà un compte' });
  await zone.getByLabel('Identifiant (adresse électronique)').fill(email);
  await zone.getByLabel('Mot de passe', { exact: true }).fill(password);
  await zone.getByRole('button', { name: 'Connecter' }).click();
}

test.describe('compte', () => {
  test('créer un compte, confirmer l’adresse depuis le courriel, se connecter depuis l’accueil, se déconnecter', async ({
    page,
  }, testInfo) => {
    const email = uniqueEmail('camille', testInfo.project.name);
    await signUp(page, email);
    await checkA11y(page);

    const [mail] = await mailsTo(email, 1);
    expect(mail.subject).toBe('Confirmez votre adresse électronique');
    const confirm = linkIn(mail, 'jeton=');
    expect(confirm).toMatch(/^\/confirmer-adresse\?jeton=[A-Za-z0-9_-]{43}$/);

    // The home page: « J'ai déjà un compte » beside the invitation to create one.
    await visit(page, '/');
    await ready(page);
    const zone = page.getByRole('region', { name: 'J’ai déjà un compte' });
    await expect(zone.getByRole('button', { name: 'Connecter' })).toBeVisible();
    const forgot = zone.getByRole('link', { name: 'Mot de passe oublié ?' });
    await expect(forgot).toHaveAttribute('href', '/mot-de-passe-oublie');
    const buttonBox = await zone.getByRole('button', { name: 'Connecter' }).boundingBox();
    const forgotBox = await forgot.boundingBox();
    expect(forgotBox!.y, '« Mot de passe oublié ? » is under « Connecter »').toBeGreaterThan(buttonBox!.y);
    await expect(page.getByRole('link', { name: 'Créer un compte' })).toHaveAttribute('href', '/inscription');
    await screenshot(page, 'accueil-connexion');

    // A wrong password: a message next to the field, the email kept.
    await signInFrom(page, email, 'pas le bon mot de passe');
    await expect(page.getByRole('alert')).toContainText('Adresse électronique ou mot de passe incorrect.');
    // The home page is sent without the client: the browser itself moves the focus to
    // « Il y a un problème » (autofocus), so that a screen reader announces it.
    await expect(page.locator('.error-summary')).toBeFocused();
    await expect(page.getByLabel('Identifiant (adresse électronique)')).toHaveValue(email);
    // The error came back through the session: the address holds neither it nor the email.
    expect(new URL(page.url()).search, 'the address after a failed sign-in').toBe('');
    await checkA11y(page);

    await signInFrom(page, email, PASSWORD);
    await expect(page).toHaveURL(/\/mon-compte$/);
    await ready(page);
    await expect(page.getByRole('heading', { level: 1, name: 'Mon compte' })).toBeVisible();
    // Not confirmed yet: the portal says so and offers to send the link again.
    await expect(page.getByText('Adresse électronique à confirmer')).toBeVisible();
    for (const tile of ['Mes données personnelles', 'Mes profils', 'Mes brouillons', 'Mes dossiers', 'Mes documents reçus']) {
      await expect(page.getByRole('link', { name: tile, exact: true })).toBeVisible();
    }
    await expect(page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Mon compte' })).toBeVisible();
    await checkA11y(page);

    await page.getByRole('button', { name: 'Renvoyer le courriel de confirmation' }).click();
    await expect(page.getByText('Un nouveau courriel de confirmation vous a été envoyé.')).toBeVisible();
    const mails = await mailsTo(email, 2);
    const latest = linkIn(mails[1], 'jeton=');
    expect(latest).not.toBe(confirm);

    // The first link no longer works; the latest one confirms.
    await visit(page, confirm);
    await ready(page);
    await page.getByRole('button', { name: 'Confirmer mon adresse' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Ce lien n’est plus valide' })).toBeVisible();
    await visit(page, latest);
    await ready(page);
    await page.getByRole('button', { name: 'Confirmer mon adresse' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Adresse électronique confirmée' })).toBeVisible();
    await visit(page, '/mon-compte');
    await expect(page.getByText('Adresse électronique à confirmer')).toHaveCount(0);

    // « Se déconnecter » ends the session.
    await ready(page);
    await page.getByRole('banner').getByRole('button', { name: 'Se déconnecter' }).click();
    await expect(page.getByText('Vous êtes déconnecté. À bientôt !')).toBeVisible();
    await expect(page.getByRole('banner').getByRole('link', { name: 'Connexion', exact: true })).toBeVisible();
    await visit(page, '/mon-compte', 200);
    await expect(page).toHaveURL(/\/connexion\?retour=\/mon-compte$/);
  });

  test('« Mes données personnelles » : un crayon par information, erreurs à côté du champ', async ({ page }, testInfo) => {
    const email = uniqueEmail('donnees', testInfo.project.name);
    await signUp(page, email);
    // Signed-out visitors go to « Connexion » and come back after.
    await visit(page, '/mon-compte/donnees-personnelles');
    await expect(page).toHaveURL(/\/connexion\?retour=\/mon-compte\/donnees-personnelles$/);
    await ready(page);
    await page.getByLabel('Identifiant (adresse électronique)').fill(email);
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Connecter' }).click();
    await expect(page).toHaveURL(/\/mon-compte\/donnees-personnelles$/);
    await ready(page);

    for (const name of [
      'Modifier votre civilité',
      'Modifier votre nom',
      'Modifier votre prénom',
      'Modifier votre date de naissance',
      'Modifier votre adresse postale',
      'Modifier votre téléphone',
      'Modifier votre adresse électronique',
      'Modifier votre mot de passe',
    ]) {
      await expect(page.getByRole('link', { name, exact: true })).toBeVisible();
    }
    await page.getByRole('link', { name: 'Modifier votre téléphone' }).click();
    const phone = page.getByRole('textbox', { name: 'Téléphone' });
    await expect(phone).toBeVisible();
    await phone.fill('12 34');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await expect(page.getByRole('alert')).toContainText('Saisissez un numéro de téléphone valide');
    await expect(page.getByRole('textbox', { name: 'Téléphone' })).toHaveValue('12 34');
    await expect(page.getByRole('textbox', { name: 'Téléphone' })).toHaveAttribute('aria-invalid', 'true');
    await checkA11y(page);
    await screenshot(page, 'donnees-erreur');
    await page.getByRole('textbox', { name: 'Téléphone' }).fill('06 12 34 56 78');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await expect(page.getByText('Votre téléphone a été modifié.')).toBeVisible();
    await expect(page.getByRole('definition').filter({ hasText: '06 12 34 56 78' })).toBeVisible();

    await page.getByRole('link', { name: 'Modifier votre date de naissance' }).click();
    await expect(page.getByRole('textbox', { name: 'Jour' })).toBeVisible();
    await page.getByRole('textbox', { name: 'Jour' }).fill('27');
    await page.getByRole('textbox', { name: 'Mois' }).fill('3');
    await page.getByRole('textbox', { name: 'Année' }).fill('1985');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await expect(page.getByText('Votre date de naissance a été modifiée.')).toBeVisible();
    await expect(page.getByText('27 mars 1985')).toBeVisible();

    await page.getByRole('link', { name: 'Modifier votre adresse postale' }).click();
    await page.getByRole('textbox', { name: 'Numéro et voie' }).fill('12 rue des Tilleuls');
    await page.getByRole('textbox', { name: 'Code postal' }).fill('1234');
    await page.getByRole('textbox', { name: 'Commune' }).fill('Valbourg');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await expect(page.getByRole('alert')).toContainText('Saisissez un code postal de 5 chiffres');
    await expect(page.getByRole('textbox', { name: 'Numéro et voie' })).toHaveValue('12 rue des Tilleuls');
    await expect(page.getByRole('textbox', { name: 'Commune' })).toHaveValue('Valbourg');
    await page.getByRole('textbox', { name: 'Code postal' }).fill('00100');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await expect(page.getByText('12 rue des Tilleuls, 00100 Valbourg')).toBeVisible();
    await screenshot(page, 'donnees-personnelles');

    // The tiles delivered later show their real empty state.
    await visit(page, '/mon-compte/brouillons');
    await expect(page.getByText('Vous n’avez aucun brouillon.')).toBeVisible();
    await visit(page, '/mon-compte/dossiers');
    await expect(page.getByText('Vous n’avez déposé aucun dossier.')).toBeVisible();
    await visit(page, '/mon-compte/documents');
    await expect(page.getByText('Vous n’avez reçu aucun document.')).toBeVisible();
    await visit(page, '/mon-compte/profils');
    await expect(page.getByText('Particulier')).toBeVisible();

    // « Télécharger mes données »: the JSON file of everything the portal holds.
    const response = await page.request.get('/mon-compte/mes-donnees.json');
    expect(response.status()).toBe(200);
    expect(response.headers()['content-disposition']).toContain('attachment');
    const data = await response.json();
    expect(data.donnees_personnelles.telephone).toBe('06 12 34 56 78');
    expect(data.compte.adresse_electronique).toBe(email);
  });

  test('« Mot de passe oublié ? » : le lien du courriel permet d’en choisir un nouveau, une seule fois', async ({
    page,
  }, testInfo) => {
    const email = uniqueEmail('oubli', testInfo.project.name);
    await signUp(page, email);
    await visit(page, '/connexion');
    await ready(page);
    await page.getByRole('link', { name: 'Mot de passe oublié ?' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Mot de passe oublié ?' })).toBeVisible();
    await ready(page);
    await checkA11y(page);
    await page.getByRole('textbox', { name: 'Adresse électronique' }).fill(email);
    await page.getByRole('button', { name: 'Soumettre' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Consultez vos courriels' })).toBeVisible();

    const mails = await mailsTo(email, 2);
    const reset = mails.find((m) => m.subject === 'Réinitialisation de votre mot de passe');
    expect(reset, 'the reset email').toBeDefined();
    const link = linkIn(reset!, 'jeton=');
    expect(link).toMatch(/^\/nouveau-mot-de-passe\?jeton=/);

    await visit(page, link);
    await ready(page);
    await page.getByLabel('Nouveau mot de passe', { exact: true }).fill('motdepasse123');
    await page.getByLabel('Confirmation du nouveau mot de passe').fill('motdepasse123');
    await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
    await expect(page.getByRole('alert')).toContainText('Ce mot de passe fait partie des plus courants');
    await page.getByLabel('Nouveau mot de passe', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirmation du nouveau mot de passe').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
    await expect(page).toHaveURL(/\/mon-compte\?message=mot-de-passe-modifie$/);
    await expect(page.getByText('Votre mot de passe a été modifié et vous êtes connecté.')).toBeVisible();
    const after = await mailsTo(email, 3);
    expect(after.map((m) => m.subject)).toContain('Votre mot de passe a été modifié');

    // The link served once.
    await visit(page, link, 410);
    await expect(page.getByRole('heading', { level: 1, name: 'Ce lien n’est plus valide' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Demander un nouveau lien' })).toHaveAttribute('href', '/mot-de-passe-oublie');
  });

  test('le mot de passe est évalué pendant la saisie', async ({ page }, testInfo) => {
    test.skip(testInfo.project.name === 'js-off', 'the meter needs the hydrated client; the server check works without it');
    await visit(page, '/inscription');
    await hydrated(page);
    const field = page.getByLabel('Mot de passe', { exact: true });
    await field.pressSequentially('azertyuiop12', { delay: 10 });
    await expect(page.getByText(/Robustesse : Très faible/)).toBeVisible();
    await field.fill('');
    await field.pressSequentially(PASSWORD, { delay: 5 });
    await expect(page.getByText(/Robustesse : (Correct|Robuste)\./)).toBeVisible();
    // « Afficher » shows what was typed, and says so to screen readers.
    const show = page.getByRole('button', { name: 'Afficher le champ Mot de passe', exact: true });
    await expect(show).toHaveAttribute('aria-pressed', 'false');
    await show.click();
    await expect(show).toHaveAttribute('aria-pressed', 'true');
    await expect(field).toHaveAttribute('type', 'text');
    await show.click();
    await expect(field).toHaveAttribute('type', 'password');
    await checkA11y(page);
  });

  test('supprimer son compte après avoir confirmé son mot de passe', async ({ page }, testInfo) => {
    const email = uniqueEmail('suppression', testInfo.project.name);
    await signUp(page, email);
    await visit(page, '/connexion');
    await ready(page);
    await page.getByLabel('Identifiant (adresse électronique)').fill(email);
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Connecter' }).click();
    await expect(page).toHaveURL(/\/mon-compte$/);
    await visit(page, '/mon-compte/donnees-personnelles');
    await ready(page);
    await page.getByRole('link', { name: 'Supprimer mon compte' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Supprimer mon compte' })).toBeVisible();
    await expect(page.getByText(/restent conservés par le Département/)).toBeVisible();
    await ready(page);
    await checkA11y(page);
    await page.getByLabel('Mot de passe', { exact: true }).fill('pas le bon');
    await page.getByRole('button', { name: 'Supprimer définitivement mon compte' }).click();
    await expect(page.getByRole('alert')).toContainText('Le mot de passe actuel est incorrect.');
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Supprimer définitivement mon compte' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Votre compte a été supprimé' })).toBeVisible();
    const mails = await mailsTo(email, 2);
    expect(mails.map((m) => m.subject)).toContain('Votre compte a été supprimé');
    await visit(page, '/connexion');
    await ready(page);
    await page.getByLabel('Identifiant (adresse électronique)').fill(email);
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Connecter' }).click();
    await expect(page.getByRole('alert')).toContainText('Adresse électronique ou mot de passe incorrect.');
  });
});
