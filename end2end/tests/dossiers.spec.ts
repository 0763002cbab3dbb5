// Dossiers end to end, JavaScript on and off:
//  1. Camille, as herself, files « Aide au permis de conduire pour les jeunes » from the
//     home page's « Démarches à la Une »: an error on page 1, attachments on page 3 (a PDF
//     and a PNG, then an HTML page and a program disguised as PDFs, refused by name), a
//     pause through « Mes brouillons » → « Reprendre », « Vérifiez vos réponses »,
//     « Transmettre », the receipt email, « Mes dossiers » and the PDF copy.
//  2. Camille files « Fonds d’aide à l’investissement des communes » for « Commune de
//     Valbourg » (a repeated group with a second expense, attachments); a person outside the
//     profile gets « Page introuvable » on the dossier; Thomas joins the profile with a share
//     key and then sees the dossier; Camille removes him again (the database persists).
//  3. « Mes brouillons » → « Supprimer » → « Supprimer le brouillon » removes a draft.
//  4. Inès files a dossier, then « Dupliquer » and « Transmettre » ten times: « Mes dossiers »
//     shows ten per page, « Page suivante » (reached with Tab, followed with Enter) and
//     « Page précédente » move between them.
//
// The server's database persists between runs: each dossier is found by its id or number,
// and the typed values carry the project's name and a time stamp.
import { test, expect, visit, screenshot, isJsDisabled, checkA11y } from './fixtures';
import type { Locator, Page, TestInfo } from '@playwright/test';
import { readFileSync } from 'node:fs';
import {
  CAMILLE,
  THOMAS,
  INES,
  PERMIS,
  FONDS,
  PERSONAL,
  VALBOURG,
  HTML_PAGE,
  sampleProgram,
  pdfFile,
  pngFile,
  ready,
  signIn,
  personPage,
  expectFormPage,
  goNext,
  startFor,
  attachment,
  attach,
  receipt,
  transmit,
  pdfText,
  filePermis,
  fillDrivingSchool,
} from './helpers';

// ---------------------------------------------------------------- helpers

/** The dossier page's status: badge « Déposé », « Déposé → En cours d’instruction → Décision ». */
async function expectFiled(page: Page) {
  await expect(page.locator('.dossier-status .badge')).toHaveText('Déposé');
  const steps = page.getByRole('list', { name: 'Avancement du dossier' }).getByRole('listitem');
  await expect(steps).toHaveText([/Déposé$/, /En cours d’instruction$/, /Décision$/]);
  await expect(steps.nth(0)).toHaveAttribute('aria-current', 'step');
  await expect(steps.nth(0)).toContainText('Étape actuelle');
  await expect(page.getByText('Votre dossier a bien été reçu.').first()).toBeVisible();
}

/** The card of draft `id` in « Mes brouillons ». */
function draftCard(page: Page, id: number): Locator {
  return page.getByRole('listitem').filter({ has: page.locator(`a[href="/dossiers/${id}/etape/1"]`) });
}

async function checkPdfCopy(page: Page, testInfo: TestInfo, number: string, expected: string[]) {
  await ready(page);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Télécharger une copie du dossier (PDF)' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`dossier-${number}.pdf`);
  const file = testInfo.outputPath(`dossier-${number}.pdf`);
  await download.saveAs(file);
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(bytes.length).toBeGreaterThan(1000);
  const text = pdfText(file);
  if (text === null) {
    console.log('note: /usr/bin/pdftotext is absent: only the %PDF header and the size of the copy were checked');
    return;
  }
  const flat = text.replace(/\s+/g, ' ');
  for (const value of expected) expect(flat, `the PDF copy's text`).toContain(value);
}

// ---------------------------------------------------------------- tests

test.describe('dossiers', () => {
  test('particulier : « Aide au permis de conduire », erreurs, pièces refusées, brouillon repris, transmission, accusé, PDF', async ({
    page,
  }, testInfo) => {
    test.setTimeout(150_000);
    const project = testInfo.project.name;
    const stamp = Date.now();
    const nom = `Essai-${project}-${stamp}`;
    const prenom = 'Léa';

    await signIn(page, CAMILLE);
    // Home → « Démarches à la Une » → the démarche → « Commencer la démarche ».
    await visit(page, '/');
    await ready(page);
    const une = page.getByRole('region', { name: 'Démarches à la Une' });
    await une.getByRole('link', { name: PERMIS, exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: PERMIS })).toBeVisible();
    await expect(page).toHaveURL(/\/demarches\/aide-permis-de-conduire$/);
    await checkA11y(page);
    await screenshot(page, 'dossier-permis-1-demarche');
    await ready(page);
    await page.getByRole('link', { name: 'Commencer la démarche' }).click();
    const id = await startFor(page, PERSONAL, 'dossier-permis-2-pour-qui');

    // Page 1 « Le jeune », « Prénom » left empty.
    await expectFormPage(page, id, 'Le jeune', 1);
    await expect(page.getByText(`${PERMIS} — pour ${PERSONAL}`)).toBeVisible();
    await checkA11y(page);
    await page.getByRole('textbox', { name: 'Nom', exact: true }).fill(nom);
    await page.getByLabel('Date de naissance', { exact: true }).fill('2007-03-14');
    await page.getByRole('textbox', { name: 'Adresse électronique du jeune' }).fill(`lea.${stamp}@exemple.fr`);
    await page.getByRole('textbox', { name: 'Téléphone du jeune (facultatif)' }).fill('06 12 34 56 78');
    const structure = page.getByRole('group', {
      name: 'La structure où seront effectuées les 35 heures de bénévolat est-elle déjà choisie ? (facultatif)',
    });
    await structure.getByRole('radio', { name: 'Oui' }).check();
    await goNext(page);
    const summary = page.getByRole('alert').filter({ hasText: 'Il y a un problème' });
    await expect(summary).toBeVisible();
    await expect(summary.getByRole('link', { name: 'Renseignez « Prénom ».' })).toBeVisible();
    const prenomBox = page.getByRole('textbox', { name: 'Prénom', exact: true });
    await expect(prenomBox).toHaveAttribute('aria-invalid', 'true');
    await expect(prenomBox).toHaveAccessibleDescription(/Renseignez « Prénom »\./);
    await expect(page.locator('.field-error .error-message')).toHaveText(['Erreur : Renseignez « Prénom ».']);
    // What was typed is still there.
    await expect(page.getByRole('textbox', { name: 'Nom', exact: true })).toHaveValue(nom);
    await expect(page.getByLabel('Date de naissance', { exact: true })).toHaveValue('2007-03-14');
    await expect(page.getByRole('textbox', { name: 'Adresse électronique du jeune' })).toHaveValue(`lea.${stamp}@exemple.fr`);
    await expect(page.getByRole('textbox', { name: 'Téléphone du jeune (facultatif)' })).toHaveValue('06 12 34 56 78');
    await expect(structure.getByRole('radio', { name: 'Oui' })).toBeChecked();
    await checkA11y(page);
    await screenshot(page, 'dossier-permis-3-erreur');
    await ready(page);
    await prenomBox.fill(prenom);
    await goNext(page);

    // Page 2 « L’auto-école ».
    await expectFormPage(page, id, 'L’auto-école', 2);
    await checkA11y(page);
    await fillDrivingSchool(page, `Auto-école du Centre ${project}`, '8 avenue de la Gare');
    await screenshot(page, 'dossier-permis-4-page-2');
    await goNext(page);

    // Page 3 « Pièces justificatives »: a PDF, a PNG, then two disguised files, then the last PDF.
    await expectFormPage(page, id, 'Pièces justificatives', 3);
    await checkA11y(page);
    const identite = attachment(page, 'Pièce d’identité du jeune');
    const domicile = attachment(page, 'Justificatif de domicile de moins de trois mois');
    const devis = attachment(page, 'Devis de l’auto-école');
    await expect(identite.input).toHaveAttribute('type', 'file');
    await attach(page, 'Pièce d’identité du jeune', pdfFile('carte-identite.pdf', 'Carte nationale d identite'));
    await expect(identite.file('carte-identite.pdf')).toBeVisible();
    await ready(page);
    await attach(page, 'Justificatif de domicile de moins de trois mois', pngFile('justificatif-domicile.png'));
    await expect(domicile.file('justificatif-domicile.png')).toBeVisible();
    await expect(domicile.group).toContainText('image PNG');
    await expect(identite.file('carte-identite.pdf')).toBeVisible();
    await checkA11y(page);
    await screenshot(page, 'dossier-permis-5-pieces');

    await ready(page);
    await attach(page, 'Devis de l’auto-école', { name: 'piece.pdf', mimeType: 'application/pdf', buffer: HTML_PAGE });
    const refused = page.getByRole('alert').filter({ hasText: 'Certains fichiers n’ont pas été ajoutés' });
    await expect(refused).toContainText(
      'Le fichier « piece.pdf » n’a pas été ajouté : c’est une page HTML, pas un PDF ni une image. Seuls les formats PDF, JPEG, PNG et WebP sont acceptés, pour des raisons de sécurité.',
    );
    await expect(identite.file('carte-identite.pdf')).toBeVisible();
    await expect(domicile.file('justificatif-domicile.png')).toBeVisible();
    await expect(devis.group.getByRole('link')).toHaveCount(0);
    await checkA11y(page);
    await screenshot(page, 'dossier-permis-6-refus-html');

    await ready(page);
    await attach(page, 'Devis de l’auto-école', { name: 'programme.pdf', mimeType: 'application/pdf', buffer: sampleProgram() });
    await expect(refused).toContainText(
      'Le fichier « programme.pdf » n’a pas été ajouté : c’est un programme exécutable, pas un PDF ni une image.',
    );
    await expect(refused).not.toContainText('piece.pdf');
    await expect(identite.file('carte-identite.pdf')).toBeVisible();
    await expect(domicile.file('justificatif-domicile.png')).toBeVisible();
    await expect(devis.group.getByRole('link')).toHaveCount(0);
    await screenshot(page, 'dossier-permis-7-refus-programme');

    await ready(page);
    await attach(page, 'Devis de l’auto-école', pdfFile('devis-auto-ecole.pdf', 'Devis permis B'));
    await expect(devis.file('devis-auto-ecole.pdf')).toBeVisible();
    await expect(refused).toHaveCount(0);
    await expect(identite.file('carte-identite.pdf')).toBeVisible();
    await expect(domicile.file('justificatif-domicile.png')).toBeVisible();
    // One file at most for the quote: no more input for it.
    await expect(devis.input).toHaveCount(0);
    await expect(devis.group.getByRole('button', { name: 'Retirer le fichier devis-auto-ecole.pdf' })).toBeVisible();
    await checkA11y(page);
    await screenshot(page, 'dossier-permis-8-pieces-jointes');

    // A pause: « Mon compte » → « Mes brouillons » → « Reprendre ».
    await ready(page);
    await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Mon compte' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Mon compte' })).toBeVisible();
    await ready(page);
    await page.getByRole('link', { name: 'Mes brouillons', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Mes brouillons' })).toBeVisible();
    const card = draftCard(page, id);
    await expect(card).toHaveCount(1);
    await expect(card.getByRole('heading', { name: PERMIS })).toBeVisible();
    await expect(card).toContainText(PERSONAL);
    await expect(card).toContainText('réponses obligatoires sur');
    await checkA11y(page);
    await screenshot(page, 'dossier-permis-9-brouillons');
    await ready(page);
    await card.getByRole('link', { name: `Reprendre : ${PERMIS}` }).click();
    await expectFormPage(page, id, 'Le jeune', 1);
    await expect(page.getByRole('textbox', { name: 'Nom', exact: true })).toHaveValue(nom);
    await expect(page.getByRole('textbox', { name: 'Prénom', exact: true })).toHaveValue(prenom);
    await goNext(page);
    await expectFormPage(page, id, 'L’auto-école', 2);
    await expect(page.getByRole('textbox', { name: 'Montant du devis (en €)' })).toHaveValue('1250');
    await goNext(page);
    await expectFormPage(page, id, 'Pièces justificatives', 3);
    await expect(devis.file('devis-auto-ecole.pdf')).toBeVisible();
    await goNext(page);

    // Page 4 « Engagement bénévole », shown since the structure is chosen.
    await expectFormPage(page, id, 'Engagement bénévole', 4);
    await expect(page.locator('.stepper-count')).toHaveText('Étape 4 sur 5');
    await checkA11y(page);
    await page.getByRole('textbox', { name: 'Nom de la structure d’accueil' }).fill(`Restos du cœur de Valbourg ${project}`);
    await page.getByRole('combobox', { name: 'Type de structure (facultatif)' }).selectOption('Association');
    await page.getByRole('textbox', { name: 'Mission envisagée (facultatif)' }).fill('Aide à la distribution le samedi matin.');
    await goNext(page);

    // « Vérifiez vos réponses ».
    await expect(page).toHaveURL(new RegExp(`/dossiers/${id}/verification$`));
    await expect(page.getByRole('heading', { level: 1, name: 'Vérifiez vos réponses' })).toBeVisible();
    await expect(page.locator('.stepper-count')).toHaveText('Étape 5 sur 5');
    for (const [title, n] of [
      ['Le jeune', 1],
      ['L’auto-école', 2],
      ['Pièces justificatives', 3],
      ['Engagement bénévole', 4],
    ] as const) {
      await expect(page.getByRole('link', { name: `Modifier : ${title}`, exact: true })).toHaveAttribute(
        'href',
        `/dossiers/${id}/etape/${n}`,
      );
    }
    await expect(page.getByRole('definition').filter({ hasText: nom })).toBeVisible();
    await expect(page.getByRole('definition').filter({ hasText: prenom }).first()).toBeVisible();
    await expect(page.getByRole('link', { name: 'carte-identite.pdf', exact: true })).toBeVisible();
    await expect(page.getByRole('link', { name: 'justificatif-domicile.png', exact: true })).toBeVisible();
    await expect(page.getByRole('link', { name: 'devis-auto-ecole.pdf', exact: true })).toBeVisible();
    await checkA11y(page);
    await screenshot(page, 'dossier-permis-10-verification');

    const number = await transmit(page, id);
    await expectFiled(page);
    await expect(page.getByRole('definition').filter({ hasText: PERSONAL })).toBeVisible();
    await checkA11y(page);
    await screenshot(page, 'dossier-permis-11-depose');

    const mail = await receipt(CAMILLE.email, number);
    expect(mail.text).toContain(`Numéro de dossier : ${number}.`);
    expect(mail.text).toContain(PERMIS);
    expect(mail.text).toContain(`/mon-compte/dossiers/${id}`);

    // « Mes dossiers » lists it; the PDF copy holds what was typed.
    await visit(page, '/mon-compte/dossiers');
    const filed = page.getByRole('link', { name: `Dossier ${number} — ${PERMIS}`, exact: true });
    await expect(filed).toHaveAttribute('href', `/mon-compte/dossiers/${id}`);
    await screenshot(page, 'dossier-permis-12-mes-dossiers');
    await ready(page);
    await filed.click();
    await expect(page.getByRole('heading', { level: 1, name: new RegExp(`^Dossier ${number}`) })).toBeVisible();
    await checkPdfCopy(page, testInfo, number, [nom, number, `Auto-école du Centre ${project}`]);
    // The draft is gone from « Mes brouillons ».
    await visit(page, '/mon-compte/brouillons');
    await expect(draftCard(page, id)).toHaveCount(0);
  });

  test('collectivité : « Fonds d’aide à l’investissement des communes » pour Commune de Valbourg, vu par un autre membre', async ({
    page,
    browser,
  }, testInfo) => {
    test.setTimeout(180_000);
    const js = !isJsDisabled(page);
    const project = testInfo.project.name;
    const stamp = Date.now();
    const intitule = `Rénovation de l’école ${project} ${stamp}`;

    await signIn(page, CAMILLE);
    // The catalogue's search → the démarche → « Commencer la démarche » for Commune de Valbourg.
    await visit(page, '/demarches');
    await ready(page);
    await page.getByRole('searchbox', { name: 'Rechercher une démarche' }).fill('investissement');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.getByRole('link', { name: FONDS, exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: FONDS })).toBeVisible();
    await ready(page);
    await page.getByRole('link', { name: 'Commencer la démarche' }).click();
    const id = await startFor(page, VALBOURG, 'dossier-fonds-1-pour-qui');

    // Page 1 « Le projet ».
    await expectFormPage(page, id, 'Le projet', 1);
    await expect(page.getByText(`${FONDS} — pour ${VALBOURG}`)).toBeVisible();
    await checkA11y(page);
    await page.getByRole('textbox', { name: 'Population municipale de la commune (en habitants)' }).fill('2450');
    await page.getByRole('textbox', { name: 'Intitulé du projet' }).fill(intitule);
    await page.getByRole('combobox', { name: 'Catégorie du projet' }).selectOption('Bâtiments scolaires et périscolaires');
    await page
      .getByRole('textbox', { name: 'Description du projet' })
      .fill('Isolation des combles et remplacement des menuiseries de l’école élémentaire.');
    const lieu = page.getByRole('group', { name: 'Adresse des travaux' });
    await lieu.getByRole('textbox', { name: 'Numéro et voie' }).fill('3 rue des Écoles');
    await lieu.getByRole('textbox', { name: 'Code postal' }).fill('00100');
    await lieu.getByRole('textbox', { name: 'Commune' }).fill('Valbourg');
    await page.getByLabel('Date de la délibération du conseil municipal', { exact: true }).fill('2026-10-12');
    await page.getByRole('group', { name: 'Les travaux ont-ils déjà commencé ?' }).getByRole('radio', { name: 'Non' }).check();
    await page.getByLabel('Date de début des travaux', { exact: true }).fill('2027-04-01');
    await page.getByLabel('Date prévisionnelle de fin des travaux', { exact: true }).fill('2027-08-31');
    await screenshot(page, 'dossier-fonds-2-projet');
    await goNext(page);

    // Page 2 « Le suivi des travaux ».
    await expectFormPage(page, id, 'Le suivi des travaux', 2);
    await checkA11y(page);
    await page
      .getByRole('group', { name: 'La commune a-t-elle désigné un maître d’œuvre ?' })
      .getByRole('radio', { name: 'Non' })
      .check();
    await page.getByRole('textbox', { name: 'Nom et prénom' }).fill('Camille Martin');
    await page.getByRole('textbox', { name: 'Fonction (facultatif)' }).fill('Secrétaire de mairie');
    await page.getByRole('textbox', { name: 'Téléphone', exact: true }).fill('05 12 34 56 78');
    await page.getByRole('textbox', { name: 'Adresse électronique (facultatif)' }).fill('mairie@valbourg.example');
    await goNext(page);

    // Page 3 « Le budget »: two expenses through « Ajouter une dépense ».
    await expectFormPage(page, id, 'Le budget', 3);
    await checkA11y(page);
    const first = page.getByRole('group', { name: 'Dépense 1', exact: true });
    await first.getByRole('textbox', { name: 'Nature de la dépense' }).fill('Isolation des combles');
    await first.getByRole('textbox', { name: 'Entreprise ou prestataire (facultatif)' }).fill('Isolations du Val');
    await first.getByRole('textbox', { name: 'Montant hors taxes (en €)' }).fill('48000');
    await expect(page.getByRole('group', { name: 'Dépense 2', exact: true })).toHaveCount(0);
    await page.getByRole('button', { name: 'Ajouter une dépense' }).click();
    const second = page.getByRole('group', { name: 'Dépense 2', exact: true });
    await expect(second).toBeVisible();
    await ready(page);
    await expect(first.getByRole('textbox', { name: 'Nature de la dépense' })).toHaveValue('Isolation des combles');
    await expect(first.getByRole('textbox', { name: 'Montant hors taxes (en €)' })).toHaveValue('48000');
    await expect(second.getByRole('button', { name: 'Retirer : Dépense 2' })).toBeVisible();
    await second.getByRole('textbox', { name: 'Nature de la dépense' }).fill('Remplacement des menuiseries extérieures');
    await second.getByRole('textbox', { name: 'Montant hors taxes (en €)' }).fill('72000');
    await page.getByRole('textbox', { name: 'Coût total du projet hors taxes (en €)' }).fill('120000');
    await page.getByRole('textbox', { name: 'Montant sollicité auprès du Département (en €)' }).fill('48000');
    await page
      .getByRole('group', { name: 'Autres financements sollicités ou obtenus (facultatif)' })
      .getByRole('checkbox', { name: 'État (DETR, DSIL, fonds vert)' })
      .check();
    await page.getByRole('textbox', { name: 'Détail des autres financements (facultatif)' }).fill('DETR : 36 000 €, sollicitée.');
    await page.getByRole('textbox', { name: 'Autofinancement de la commune (en €)' }).fill('36000');
    await checkA11y(page);
    await screenshot(page, 'dossier-fonds-3-budget');
    await goNext(page);

    // Page 4 « Pièces justificatives ».
    await expectFormPage(page, id, 'Pièces justificatives', 4);
    await checkA11y(page);
    await attach(page, 'Délibération du conseil municipal', pdfFile('deliberation.pdf', 'Deliberation'));
    await expect(attachment(page, 'Délibération du conseil municipal').file('deliberation.pdf')).toBeVisible();
    await ready(page);
    // Up to five files: both quotes at once.
    await attach(page, 'Devis ou estimation détaillée des travaux', [
      pdfFile('devis-isolation.pdf', 'Devis isolation'),
      pdfFile('devis-menuiseries.pdf', 'Devis menuiseries'),
    ]);
    const devis = attachment(page, 'Devis ou estimation détaillée des travaux');
    await expect(devis.file('devis-isolation.pdf')).toBeVisible();
    await expect(devis.file('devis-menuiseries.pdf')).toBeVisible();
    await ready(page);
    await attach(page, 'Calendrier prévisionnel des travaux', pngFile('calendrier.png'));
    await expect(attachment(page, 'Calendrier prévisionnel des travaux').file('calendrier.png')).toBeVisible();
    await expect(attachment(page, 'Délibération du conseil municipal').file('deliberation.pdf')).toBeVisible();
    await checkA11y(page);
    await screenshot(page, 'dossier-fonds-4-pieces');
    await ready(page);
    await goNext(page);

    // « Vérifiez vos réponses » → « Transmettre ».
    await expect(page).toHaveURL(new RegExp(`/dossiers/${id}/verification$`));
    await expect(page.getByRole('heading', { level: 1, name: 'Vérifiez vos réponses' })).toBeVisible();
    await expect(page.locator('.stepper-count')).toHaveText('Étape 5 sur 5');
    await expect(page.getByRole('definition').filter({ hasText: intitule })).toBeVisible();
    await expect(page.getByRole('definition').filter({ hasText: 'Remplacement des menuiseries extérieures' })).toBeVisible();
    for (const title of ['Le projet', 'Le suivi des travaux', 'Le budget', 'Pièces justificatives']) {
      await expect(page.getByRole('link', { name: `Modifier : ${title}`, exact: true })).toBeVisible();
    }
    await checkA11y(page);
    await screenshot(page, 'dossier-fonds-5-verification');
    const number = await transmit(page, id);
    await expectFiled(page);
    await expect(page.getByRole('definition').filter({ hasText: VALBOURG })).toBeVisible();
    await expect(page.getByRole('definition').filter({ hasText: CAMILLE.name }).first()).toBeVisible();
    await checkA11y(page);
    await screenshot(page, 'dossier-fonds-6-depose');
    const mail = await receipt(CAMILLE.email, number);
    expect(mail.text).toContain(FONDS);
    expect(mail.text).toContain(VALBOURG);

    // « Mes dossiers »: the dossier, with the profile.
    await visit(page, '/mon-compte/dossiers');
    const mine = page.getByRole('listitem').filter({
      has: page.getByRole('link', { name: `Dossier ${number} — ${FONDS}`, exact: true }),
    });
    await expect(mine).toHaveCount(1);
    await expect(mine.getByRole('definition').filter({ hasText: VALBOURG })).toBeVisible();
    await visit(page, `/mon-compte/dossiers/${id}`);
    await checkPdfCopy(page, testInfo, number, [number, intitule]);

    // Camille's « Commune de Valbourg » → « Composition »: Thomas is not a member (a run
    // stopped half-way may have left him in).
    await visit(page, '/mon-compte/profils');
    await ready(page);
    await page.getByRole('link', { name: 'Commune de Valbourg', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Commune de Valbourg' })).toBeVisible();
    const profilePath = new URL(page.url()).pathname;
    await visit(page, `${profilePath}/composition`);
    await ready(page);
    const removeThomas = page.getByRole('button', { name: `Retirer ${THOMAS.name}` });
    if ((await removeThomas.count()) > 0) {
      await removeThomas.click();
      await expect(page.getByText('La composition du profil a été modifiée')).toBeVisible();
      await ready(page);
    }

    // Someone outside the profile: « Page introuvable » (404), as for a dossier that does not exist.
    const ines = await personPage(browser, js, INES);
    await visit(ines, `/mon-compte/dossiers/${id}`, 404);
    await expect(ines.getByRole('heading', { level: 1, name: 'Page introuvable' })).toBeVisible();
    await screenshot(ines, 'dossier-fonds-7-introuvable');
    const thomas = await personPage(browser, js, THOMAS);
    await visit(thomas, `/mon-compte/dossiers/${id}`, 404);
    await expect(thomas.getByRole('heading', { level: 1, name: 'Page introuvable' })).toBeVisible();
    const pdf = await thomas.request.get(`/mon-compte/dossiers/${id}/copie.pdf`);
    expect(pdf.status(), 'the PDF copy for a non-member').toBe(404);

    // Camille adds a share; Thomas joins with its key.
    await page.getByRole('button', { name: 'Ajouter un partage' }).click();
    const keyBox = page.locator('.share-key code');
    await expect(keyBox).toBeVisible();
    const key = (await keyBox.textContent())!.trim();
    await visit(thomas, '/mon-compte/profils');
    await ready(thomas);
    await thomas.getByRole('link', { name: 'Ajouter ou rejoindre un profil' }).click();
    const join = thomas.getByRole('region', { name: 'Rejoindre un profil existant' });
    await join.getByRole('textbox', { name: 'Clé de partage' }).fill(key);
    await join.getByRole('textbox', { name: 'Votre fonction' }).fill(`Adjoint aux travaux (${project})`);
    await join.getByRole('button', { name: 'Envoyer' }).click();
    await expect(thomas.getByText('Vous avez rejoint le profil')).toBeVisible();
    await expect(thomas.getByRole('heading', { level: 1, name: 'Commune de Valbourg' })).toBeVisible();

    // Thomas now sees the dossier in « Mes dossiers », and its page.
    await visit(thomas, '/mon-compte/dossiers');
    const his = thomas.getByRole('listitem').filter({
      has: thomas.getByRole('link', { name: `Dossier ${number} — ${FONDS}`, exact: true }),
    });
    await expect(his).toHaveCount(1);
    await expect(his.getByRole('definition').filter({ hasText: VALBOURG })).toBeVisible();
    await screenshot(thomas, 'dossier-fonds-8-mes-dossiers-thomas');
    await visit(thomas, `/mon-compte/dossiers/${id}`);
    await expect(thomas.getByRole('heading', { level: 1, name: new RegExp(`^Dossier ${number}`) })).toBeVisible();
    await expect(thomas.getByRole('definition').filter({ hasText: CAMILLE.name }).first()).toBeVisible();
    await expect(thomas.getByRole('definition').filter({ hasText: intitule })).toBeVisible();
    await expectFiled(thomas);
    await screenshot(thomas, 'dossier-fonds-9-dossier-thomas');

    // Back as it was: Camille removes Thomas from the profile.
    await visit(page, `${profilePath}/composition`);
    await ready(page);
    await page.getByRole('button', { name: `Retirer ${THOMAS.name}` }).click();
    await expect(page.getByText('La composition du profil a été modifiée')).toBeVisible();
    await expect(page.getByRole('table', { name: 'Membres du profil' }).getByRole('rowheader', { name: THOMAS.name })).toHaveCount(0);
    await ines.context().close();
    await thomas.context().close();
  });

  test('« Mes brouillons » : « Supprimer » puis « Supprimer le brouillon » retire le brouillon', async ({ page }, testInfo) => {
    test.setTimeout(90_000);
    const nom = `Brouillon-${testInfo.project.name}-${Date.now()}`;
    await signIn(page, CAMILLE);
    await visit(page, '/demarches/aide-permis-de-conduire/commencer');
    const id = await startFor(page, PERSONAL, 'brouillon-1-pour-qui');
    await expectFormPage(page, id, 'Le jeune', 1);
    await page.getByRole('textbox', { name: 'Nom', exact: true }).fill(nom);
    await page.getByRole('button', { name: 'Enregistrer le brouillon' }).click();
    await expect(page.getByText('Votre brouillon est enregistré.')).toBeVisible();
    await expect(page.getByRole('textbox', { name: 'Nom', exact: true })).toHaveValue(nom);
    await checkA11y(page);

    await visit(page, '/mon-compte/brouillons');
    const card = draftCard(page, id);
    await expect(card).toHaveCount(1);
    await expect(card.getByRole('link', { name: `Compléter pour transmettre : ${PERMIS}` })).toHaveAttribute(
      'href',
      `/dossiers/${id}/etape/1?erreurs=1`,
    );
    await screenshot(page, 'brouillon-2-liste');
    await ready(page);
    await card.getByRole('link', { name: `Supprimer : ${PERMIS}` }).click();
    await expect(page).toHaveURL(new RegExp(`/mon-compte/brouillons/${id}/supprimer$`));
    await expect(page.getByRole('heading', { level: 1, name: 'Supprimer ce brouillon ?' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Annuler' })).toHaveAttribute('href', '/mon-compte/brouillons');
    await ready(page);
    await checkA11y(page);
    await screenshot(page, 'brouillon-3-confirmation');
    await page.getByRole('button', { name: 'Supprimer le brouillon' }).click();
    await expect(page).toHaveURL(/\/mon-compte\/brouillons\?message=brouillon-supprime$/);
    await expect(page.getByText('Le brouillon et ses fichiers ont été supprimés.')).toBeVisible();
    await expect(page.getByRole('heading', { level: 1, name: 'Mes brouillons' })).toBeVisible();
    await expect(draftCard(page, id)).toHaveCount(0);
    await checkA11y(page);
    await screenshot(page, 'brouillon-4-supprime');
    // The draft no longer exists.
    await visit(page, `/dossiers/${id}/etape/1`, 404);
    await expect(page.getByRole('heading', { level: 1, name: 'Page introuvable' })).toBeVisible();
  });
  test('avec JavaScript : le brouillon s’enregistre pendant la saisie, et une question conditionnelle apparaît selon la réponse', async ({ page }, testInfo) => {
    test.skip(isJsDisabled(page), 'saving as one types and live conditions need the client');
    test.setTimeout(90_000);
    const nom = `Saisie-${testInfo.project.name}-${Date.now()}`;
    await signIn(page, CAMILLE);
    await visit(page, '/demarches/aide-permis-de-conduire/commencer');
    const id = await startFor(page, PERSONAL, 'saisie-1-pour-qui');
    await expectFormPage(page, id, 'Le jeune', 1);
    await ready(page);
    // Typing only, no button: the script saves two seconds after the last keystroke.
    await page.getByRole('textbox', { name: 'Nom', exact: true }).pressSequentially(nom, { delay: 10 });
    await expect(page.getByRole('status').filter({ hasText: /Brouillon enregistré à \d+ h \d{2}\./ })).toBeVisible({ timeout: 10_000 });
    await page.reload();
    await expect(page.getByRole('textbox', { name: 'Nom', exact: true })).toHaveValue(nom);

    // Page 2: the date of the earlier registration is asked only after « Oui ».
    await page.goto(`/dossiers/${id}/etape/2`);
    await ready(page);
    const group = page.getByRole('group', { name: /Avez-vous déjà été inscrit/ });
    const conditional = page.locator('.form-field', { has: page.getByText(/Répondez seulement si votre réponse/) });
    await expect(conditional.first()).toBeHidden();
    await group.getByLabel('Oui').check();
    await expect(conditional.first()).toBeVisible();
    await group.getByLabel('Non').check();
    await expect(conditional.first()).toBeHidden();
    await checkA11y(page);
  });

  test('« Mes dossiers » : dix dossiers par page, « Page suivante » au clavier, « Page précédente »', async ({ page }, testInfo) => {
    test.setTimeout(240_000);
    const nom = `Pages-${testInfo.project.name}-${Date.now()}`;
    await signIn(page, INES);

    // One dossier filed in full (the required answers only)…
    const { id: first, number } = await filePermis(page, INES, nom, 'pages-1-pour-qui');
    const numbers = [number];

    // … then « Dupliquer » and « Transmettre » ten times: eleven dossiers at least.
    let last = first;
    for (let i = 0; i < 10; i++) {
      await page.goto(`/mon-compte/dossiers/${last}`);
      await ready(page);
      await page.getByRole('button', { name: 'Dupliquer ce dossier dans un nouveau brouillon' }).click();
      await expect(page).toHaveURL(/\/dossiers\/\d+\/etape\/1\?message=dossier-duplique$/);
      last = Number(new URL(page.url()).pathname.split('/')[2]);
      await page.goto(`/dossiers/${last}/verification`);
      numbers.push(await transmit(page, last));
    }

    // Page 1: the ten newest, the count, the pages.
    await visit(page, '/mon-compte/dossiers');
    await expect(page.getByRole('heading', { level: 1, name: 'Mes dossiers' })).toBeVisible();
    const count = page.locator('.list-count');
    await expect(count).toHaveText(/^Dossiers 1 à 10 sur \d+$/);
    const total = Number((await count.textContent())!.match(/sur (\d+)$/)![1]);
    expect(total).toBeGreaterThanOrEqual(11);
    const pages = Math.ceil(total / 10);
    const cards = page.locator('.dossier-card');
    await expect(cards).toHaveCount(10);
    await expect(cards.first().getByRole('heading', { level: 2 })).toHaveText(`Dossier ${numbers[10]} — ${PERMIS}`);
    const nav = page.getByRole('navigation', { name: 'Pages de mes dossiers' });
    await expect(nav.getByRole('link', { name: 'Page 1', exact: true })).toHaveAttribute('aria-current', 'page');
    await expect(nav.getByRole('link', { name: 'Page précédente' })).toHaveCount(0);
    const next = nav.getByRole('link', { name: 'Page suivante' });
    await expect(next).toHaveAttribute('href', '/mon-compte/dossiers?page=2');
    await screenshot(page, 'pages-2-mes-dossiers');

    // « Page suivante », from the keyboard: Tab reaches it, Enter follows it.
    await ready(page);
    await nav.getByRole('link', { name: `Page ${pages}`, exact: true }).focus();
    await page.keyboard.press('Tab');
    await expect(next).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/mon-compte\/dossiers\?page=2$/);
    await expect(count).toHaveText(total === 11 ? 'Dossier 11 sur 11' : new RegExp(`^Dossiers 11 à ${Math.min(20, total)} sur ${total}$`));
    await expect(page).toHaveTitle(new RegExp(`^Mes dossiers, page 2 sur ${pages} – `));
    await expect(nav.getByRole('link', { name: 'Page 2', exact: true })).toHaveAttribute('aria-current', 'page');
    await expect(cards).toHaveCount(Math.min(10, total - 10));
    // The eleventh newest is the first filed of this test: it heads page 2.
    await expect(cards.first().getByRole('heading', { level: 2 })).toHaveText(`Dossier ${numbers[0]} — ${PERMIS}`);
    await expect(page.getByText(`Dossier ${numbers[10]} — ${PERMIS}`)).toHaveCount(0);
    await checkA11y(page);
    await screenshot(page, 'pages-3-page-2');

    // « Page précédente » goes back to the first page.
    await ready(page);
    await nav.getByRole('link', { name: 'Page précédente' }).click();
    await expect(page).toHaveURL(/\/mon-compte\/dossiers$/);
    await expect(count).toHaveText(/^Dossiers 1 à 10 sur \d+$/);
    await expect(cards.first().getByRole('heading', { level: 2 })).toHaveText(`Dossier ${numbers[10]} — ${PERMIS}`);
    // A page past the last shows the last.
    await visit(page, '/mon-compte/dossiers?page=99');
    await expect(nav.getByRole('link', { name: `Page ${pages}`, exact: true })).toHaveAttribute('aria-current', 'page');
  });
});
