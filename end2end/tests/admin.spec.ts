// The administration end to end, JavaScript on and off (every form is a plain HTML post):
//  1. Claire (administrator, TOTP computed here) opens « Administration » → « Démarches » →
//     « Créer une démarche »: an empty title first (the error summary, the typed values
//     kept), then the démarche is created and the builder opens.
//  2. She builds its form: page 1 renamed « Votre situation » with a yes/no question, a
//     short text and a question shown only after « Oui » (moved up with « Monter »); page 2
//     with a repeated group « Enfants » (its own « Prénom de l’enfant », the starting « Nom »
//     removed); page 3 with an attachment of one file at most.
//  3. « Aperçu du formulaire », page by page (with JavaScript, the conditional question
//     follows the answer live).
//  4. « Publier la démarche » (version 1); 5. « À la Une ».
//  6. Inès finds it in the home page's « Démarches à la Une », starts a dossier (« Non »:
//     the conditional question is not asked) and leaves it as a draft on page 2, then files
//     a second dossier completely (two children, a PDF), « Déposé » in « Mes dossiers ».
//  7. Claire adds « Téléphone de contact » (« Modifications non publiées ») and publishes
//     version 2.
//  8. Inès's first draft keeps version 1 (no telephone question) and is filed; a new
//     dossier gets version 2 (the question is there; that draft is deleted again).
//  9. « Journal des actions »: the two « Démarche publiée » lines, the action filter.
// 10. Services and users pages; the démarche leaves « À la Une » again (the database
//     persists between runs: the banner does not grow).
//
// Every administration page visited is checked with axe-core (with JavaScript off, on the
// DOM the server sent). Titles and the slug carry the project's name and a time stamp.
import { test, expect, visit, screenshot, isJsDisabled, checkA11y } from './fixtures';
import type { Locator, Page } from '@playwright/test';
import {
  CLAIRE,
  INES,
  pdfFile,
  ready,
  signInStaff,
  personPage,
  personalProfile,
  startForSlug,
  expectFormPage,
  goNext,
  attachment,
  attach,
  receipt,
  transmit,
} from './helpers';

// ---------------------------------------------------------------- helpers

const BOURSIER = 'Êtes-vous boursier ?';
const ETABLISSEMENT = 'Nom de l’établissement scolaire';
const NUMERO = 'Numéro de bourse';
const TELEPHONE = 'Téléphone de contact';
const ENFANTS = 'Enfants';
const PRENOM = 'Prénom de l’enfant';
const DOMICILE = 'Justificatif de domicile';

/** The builder's item of page `n` titled `title` (`li#page-{key}`). */
function pageItem(page: Page, n: number, title: string): Locator {
  return page
    .locator('li.adm-page')
    .filter({ has: page.getByRole('heading', { level: 2, name: `Page ${n} : ${title}`, exact: true }) });
}

/** The builder's item of the field `key` (`li#champ-{key}`). */
function fieldItem(page: Page, key: string): Locator {
  return page.locator(`li#champ-${key}`);
}

/** The labels of the fields in `list` (a page's or a group's « Champs de … », none of which
 * holds a group here). */
function labelsIn(list: Locator): Locator {
  return list.locator('.adm-field-label');
}

/** Opens `path` (a page already checked with axe by another spec) and waits for the client. */
async function open(page: Page, path: string) {
  const response = await page.goto(path);
  expect(response?.status(), `HTTP status of ${path}`).toBe(200);
  await ready(page);
}

/** The builder of démarche `id` is shown (after a redirect, possibly to an anchor). */
async function expectBuilder(page: Page, id: number, title: string) {
  await expect(page).toHaveURL(new RegExp(`/admin/demarches/${id}/formulaire(#[\\w-]+)?$`));
  await expect(page.getByRole('heading', { level: 1, name: `Formulaire : ${title}`, exact: true })).toBeVisible();
  await ready(page);
}

/** « Ajouter le champ » in the add form `form` (a page's or a group's): opens the field's
 * editor, whose key (in its address) is returned. */
async function addField(page: Page, id: number, form: Locator, kind: string, label: string): Promise<string> {
  await form.getByRole('combobox', { name: 'Type de champ', exact: true }).selectOption({ label: kind });
  await form.getByRole('textbox', { name: 'Libellé ou question', exact: true }).fill(label);
  await form.getByRole('button', { name: /^Ajouter le champ (à la page|au groupe) « / }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/demarches/${id}/champs/[a-z0-9_]+$`));
  await expect(page.getByRole('heading', { level: 1, name: `Champ : ${label}`, exact: true })).toBeVisible();
  await ready(page);
  return new URL(page.url()).pathname.split('/').pop()!;
}

/** The field editor of `label` (type `type`): its facts, the label input, axe and a screenshot. */
async function checkFieldEditor(page: Page, label: string, type: string, shot: string) {
  await expect(page.getByRole('heading', { level: 1, name: `Champ : ${label}`, exact: true })).toBeVisible();
  const facts = page.locator('.adm-field-facts');
  await expect(facts.locator('div').filter({ has: page.locator('dt', { hasText: /^Type$/ }) }).locator('dd')).toHaveText(type);
  await expect(page.getByRole('textbox', { name: 'Libellé ou question', exact: true })).toHaveValue(label);
  await expect(page.getByRole('heading', { level: 2, name: 'Aperçu du champ' })).toBeVisible();
  await checkA11y(page);
  await screenshot(page, shot);
  await ready(page);
}

/** « Enregistrer le champ » → back to the builder at the field. */
async function saveField(page: Page, id: number, title: string) {
  await page.getByRole('button', { name: 'Enregistrer le champ', exact: true }).click();
  await expectBuilder(page, id, title);
}

/** A value of the démarche page's « État et publication » list. */
function stateFact(page: Page, term: string): Locator {
  return page
    .locator('.adm-state .summary-list > div')
    .filter({ has: page.locator('dt', { hasText: new RegExp(`^${term}$`) }) })
    .locator('dd');
}

/** The notice of the last administration action. */
function notice(page: Page, text: string | RegExp): Locator {
  return page.getByRole('status').filter({ hasText: text });
}

/** The card of draft `id` in « Mes brouillons ». */
function draftCard(page: Page, id: number): Locator {
  return page.getByRole('listitem').filter({ has: page.locator(`a[href="/dossiers/${id}/etape/1"]`) });
}

// ---------------------------------------------------------------- test

test.describe('administration', () => {
  test('une démarche créée, construite, prévisualisée, publiée, à la Une, déposée par une usagère, modifiée et republiée ; journal', async ({
    page,
    browser,
  }, testInfo) => {
    // About 30 axe checks and 60 page loads: 2 minutes without JavaScript on this machine.
    test.setTimeout(300_000);
    const js = !isJsDisabled(page);
    const project = testInfo.project.name;
    const stamp = Date.now();
    const title = `Aide aux classes de découverte ${project} ${stamp}`;
    const slug = `classes-decouverte-${project}-${stamp}`;
    const summary = `Une aide du Département pour chaque enfant qui part en classe de découverte (${project}).`;
    const description =
      'Le Département aide les familles dont un enfant part en classe de découverte avec son école.\n\n' +
      '- une aide par enfant ;\n- versée à l’établissement scolaire.';
    const profile = personalProfile(INES);
    let id = 0;
    let page1 = '';
    let numero = '';
    let enfants = '';

    await test.step('Claire se connecte et crée la démarche (d’abord sans titre)', async () => {
      await signInStaff(page, CLAIRE);
      await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Administration', exact: true }).click();
      await expect(page).toHaveURL(/\/admin$/);
      await expect(page.getByRole('heading', { level: 1, name: 'Administration', exact: true })).toBeVisible();
      const adminNav = page.getByRole('navigation', { name: 'Administration', exact: true });
      await expect(adminNav.getByRole('link', { name: 'Accueil', exact: true })).toHaveAttribute('aria-current', 'page');
      await ready(page);
      await checkA11y(page);
      await screenshot(page, 'admin-01-accueil');

      await page.getByRole('heading', { level: 2, name: 'Démarches', exact: true }).getByRole('link').click();
      await expect(page).toHaveURL(/\/admin\/demarches$/);
      await expect(page.getByRole('heading', { level: 1, name: 'Démarches', exact: true })).toBeVisible();
      await expect(adminNav.getByRole('link', { name: 'Démarches', exact: true })).toHaveAttribute('aria-current', 'page');
      await expect(page.getByRole('table', { name: 'Toutes les démarches, par titre' })).toBeVisible();
      await ready(page);
      await checkA11y(page);
      await screenshot(page, 'admin-02-demarches');

      await page.getByRole('link', { name: 'Créer une démarche', exact: true }).click();
      await expect(page).toHaveURL(/\/admin\/demarches\/nouvelle$/);
      await expect(page.getByRole('heading', { level: 1, name: 'Créer une démarche' })).toBeVisible();
      await ready(page);
      await expect(page.getByRole('radio', { name: 'Particuliers', exact: true })).toBeChecked();
      // No title: the error summary, the title in error, what was typed still there.
      await page.getByRole('textbox', { name: 'Adresse de la page', exact: true }).fill(slug);
      await page.getByRole('textbox', { name: 'Résumé', exact: true }).fill(summary);
      await page.getByRole('textbox', { name: 'Description', exact: true }).fill(description);
      await page.getByRole('button', { name: 'Créer la démarche', exact: true }).click();
      const problem = page.getByRole('alert').filter({ hasText: 'Il y a un problème' });
      await expect(problem).toBeVisible();
      await expect(problem.getByRole('link', { name: 'Saisissez le titre de la démarche.' })).toBeVisible();
      const titleBox = page.getByRole('textbox', { name: 'Titre', exact: true });
      await expect(titleBox).toHaveAttribute('aria-invalid', 'true');
      await expect(page.getByRole('textbox', { name: 'Résumé', exact: true })).toHaveValue(summary);
      await expect(page.getByRole('textbox', { name: 'Adresse de la page', exact: true })).toHaveValue(slug);
      await expect(page.getByRole('textbox', { name: 'Description', exact: true })).toHaveValue(description);
      await ready(page);
      await checkA11y(page);
      await screenshot(page, 'admin-03-nouvelle-erreur');

      await titleBox.fill(title);
      await page.getByRole('radio', { name: 'Particuliers', exact: true }).check();
      await page.getByRole('button', { name: 'Créer la démarche', exact: true }).click();
      await expect(page).toHaveURL(/\/admin\/demarches\/\d+\/formulaire$/);
      id = Number(new URL(page.url()).pathname.split('/')[3]);
      await expectBuilder(page, id, title);
      await expect(notice(page, 'La démarche est créée, en brouillon')).toBeVisible();
      await expect(page.locator('.adm-status')).toContainText('Aucune version publiée.');
      // A new démarche has one empty page.
      await expect(page.locator('li.adm-page')).toHaveCount(1);
      await expect(pageItem(page, 1, 'Votre demande')).toContainText('Cette page ne contient encore aucun champ.');
    });

    await test.step('le formulaire : trois pages, une condition, un groupe répétable, une pièce jointe', async () => {
      // Page 1: renamed in its editor.
      await pageItem(page, 1, 'Votre demande').getByRole('link', { name: 'Modifier la page « Votre demande »', exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`/admin/demarches/${id}/pages/[a-z0-9-]+$`));
      page1 = new URL(page.url()).pathname.split('/').pop()!;
      await expect(page.getByRole('heading', { level: 1, name: 'Page : Votre demande', exact: true })).toBeVisible();
      // Nothing before the first page can be a condition.
      await expect(page.getByText('Cette page est toujours affichée', { exact: false })).toBeVisible();
      await ready(page);
      await checkA11y(page);
      await screenshot(page, 'admin-04-page');
      await page.getByRole('textbox', { name: 'Titre de la page', exact: true }).fill('Votre situation');
      await page.getByRole('textbox', { name: 'Texte d’introduction (facultatif)', exact: true }).fill('Quelques questions sur votre famille.');
      await page.getByRole('button', { name: 'Enregistrer la page', exact: true }).click();
      await expectBuilder(page, id, title);
      const first = pageItem(page, 1, 'Votre situation');
      await expect(first).toBeVisible();
      await expect(page.locator(`li#page-${page1}`)).toContainText('Quelques questions sur votre famille.');
      const addToFirst = first.getByRole('group', { name: 'Ajouter un champ à la page « Votre situation »', exact: true });

      // « Êtes-vous boursier ? » (Oui / Non, required by default).
      const boursier = await addField(page, id, addToFirst, 'Oui / Non', BOURSIER);
      await checkFieldEditor(page, BOURSIER, 'Oui / Non', 'admin-05-champ-oui-non');
      await expect(page.getByRole('checkbox', { name: 'Réponse obligatoire', exact: true })).toBeChecked();
      // The first question: nothing before it may be a condition.
      await expect(page.getByText('Ce champ est toujours affiché', { exact: false })).toBeVisible();
      await saveField(page, id, title);
      await expect(fieldItem(page, boursier)).toContainText('obligatoire');

      // « Nom de l’établissement scolaire » (short text).
      const etablissement = await addField(page, id, addToFirst, 'Texte court', ETABLISSEMENT);
      await checkFieldEditor(page, ETABLISSEMENT, 'Texte court', 'admin-06-champ-texte');
      await expect(page.getByRole('group', { name: 'Réglages du type « Texte court »' })).toBeVisible();
      await page.getByRole('checkbox', { name: 'Réponse obligatoire', exact: true }).check();
      await saveField(page, id, title);
      await expect(fieldItem(page, etablissement)).toContainText(ETABLISSEMENT);

      // « Numéro de bourse », shown only after « Oui ».
      numero = await addField(page, id, addToFirst, 'Texte court', NUMERO);
      await checkFieldEditor(page, NUMERO, 'Texte court', 'admin-07-champ-condition');
      const conditionField = page.getByRole('combobox', { name: 'Afficher ce champ seulement si…', exact: true });
      await expect(conditionField).toHaveValue('');
      await conditionField.selectOption({ label: BOURSIER });
      const conditionEquals = page.getByRole('combobox', { name: '… quand la réponse est', exact: true });
      await conditionEquals.selectOption('oui');
      await expect(conditionEquals).toHaveValue('oui');
      await saveField(page, id, title);
      await expect(fieldItem(page, numero)).toContainText(`Affiché si « ${BOURSIER} » = Oui`);

      // « Monter »: the number right after the question it depends on.
      const firstFields = page.getByRole('list', { name: 'Champs de la page « Votre situation »', exact: true });
      await expect(labelsIn(firstFields)).toHaveText([BOURSIER, ETABLISSEMENT, NUMERO]);
      await fieldItem(page, numero).getByRole('button', { name: `Monter le champ « ${NUMERO} »`, exact: true }).click();
      await expectBuilder(page, id, title);
      await expect(labelsIn(firstFields)).toHaveText([BOURSIER, NUMERO, ETABLISSEMENT]);
      // The first field cannot go up, the last one cannot go down.
      await expect(fieldItem(page, boursier).getByRole('button', { name: /^Monter/ })).toHaveCount(0);
      await expect(fieldItem(page, etablissement).getByRole('button', { name: /^Descendre/ })).toHaveCount(0);
      if (js) {
        // With JavaScript the same move by drag and drop: the school's name dragged onto
        // the number's place, then back.
        await expect(fieldItem(page, etablissement)).toHaveAttribute('draggable', 'true');
        await fieldItem(page, etablissement).dragTo(fieldItem(page, numero));
        await expect(labelsIn(firstFields)).toHaveText([BOURSIER, ETABLISSEMENT, NUMERO]);
        await fieldItem(page, numero).dragTo(fieldItem(page, etablissement));
        await expect(labelsIn(firstFields)).toHaveText([BOURSIER, NUMERO, ETABLISSEMENT]);
      }

      // Page 2 « Vos enfants »: a repeated group « Enfants ».
      const addPage = page.getByRole('region', { name: 'Ajouter une page' });
      await addPage.getByRole('textbox', { name: 'Titre de la page', exact: true }).fill('Vos enfants');
      await addPage.getByRole('button', { name: 'Ajouter la page', exact: true }).click();
      await expectBuilder(page, id, title);
      const second = pageItem(page, 2, 'Vos enfants');
      await expect(second).toBeVisible();
      enfants = await addField(
        page,
        id,
        second.getByRole('group', { name: 'Ajouter un champ à la page « Vos enfants »', exact: true }),
        'Groupe répétable',
        ENFANTS,
      );
      await checkFieldEditor(page, ENFANTS, 'Groupe répétable', 'admin-08-champ-groupe');
      await page.getByRole('textbox', { name: 'Texte du bouton d’ajout', exact: true }).fill('Ajouter un enfant');
      await page.getByRole('textbox', { name: 'Titre de chaque élément', exact: true }).fill('Enfant');
      await expect(page.getByRole('textbox', { name: 'Nombre minimal d’éléments', exact: true })).toHaveValue('1');
      const fieldPreview = page.getByRole('region', { name: 'Aperçu du champ' });
      if (js) {
        // The preview follows the settings being typed.
        await expect(fieldPreview.getByRole('group', { name: 'Enfant 1', exact: true })).toBeVisible();
        await expect(fieldPreview.getByRole('button', { name: 'Ajouter un enfant', exact: true })).toBeVisible();
      } else {
        // Without the script, it shows the saved settings.
        await expect(fieldPreview.getByRole('group', { name: 'Élément 1', exact: true })).toBeVisible();
      }
      await saveField(page, id, title);
      await expect(fieldItem(page, enfants)).toContainText('Élément « Enfant », de 1 à');

      // The group's own add form: « Prénom de l’enfant »; then the starting « Nom » goes.
      const prenom = await addField(
        page,
        id,
        fieldItem(page, enfants).getByRole('group', { name: `Ajouter un champ dans le groupe « ${ENFANTS} »`, exact: true }),
        'Texte court',
        PRENOM,
      );
      await expect(
        page.locator('.adm-field-facts div').filter({ has: page.locator('dt', { hasText: /^Groupe répétable$/ }) }).locator('dd'),
      ).toHaveText(enfants);
      await saveField(page, id, title);
      const groupFields = fieldItem(page, enfants).getByRole('list', { name: `Champs du groupe « ${ENFANTS} »`, exact: true });
      await expect(labelsIn(groupFields)).toHaveText(['Nom', PRENOM]);
      await expect(fieldItem(page, prenom)).toBeVisible();
      await groupFields.getByRole('button', { name: 'Supprimer le champ « Nom »', exact: true }).click();
      await expectBuilder(page, id, title);
      await expect(labelsIn(groupFields)).toHaveText([PRENOM]);

      // Page 3 « Pièces justificatives »: one file at most.
      await addPage.getByRole('textbox', { name: 'Titre de la page', exact: true }).fill('Pièces justificatives');
      await addPage.getByRole('button', { name: 'Ajouter la page', exact: true }).click();
      await expectBuilder(page, id, title);
      const third = pageItem(page, 3, 'Pièces justificatives');
      await expect(third).toBeVisible();
      const domicile = await addField(
        page,
        id,
        third.getByRole('group', { name: 'Ajouter un champ à la page « Pièces justificatives »', exact: true }),
        'Pièce jointe',
        DOMICILE,
      );
      await checkFieldEditor(page, DOMICILE, 'Pièce jointe', 'admin-09-champ-piece');
      await page.getByRole('textbox', { name: 'Nombre maximal de fichiers', exact: true }).fill('1');
      await saveField(page, id, title);
      await expect(fieldItem(page, domicile)).toContainText('Jusqu’à 1 fichier(s)');

      // Ready to publish: three pages, nothing to correct.
      await expect(page.locator('li.adm-page')).toHaveCount(3);
      await expect(page.getByText('Avant de publier, corrigez :')).toHaveCount(0);
      await expect(page.locator('.adm-status')).toContainText('Aucune version publiée.');
      await checkA11y(page);
      await screenshot(page, 'admin-10-formulaire');
    });

    await test.step('« Aperçu du formulaire », page par page', async () => {
      await page.getByRole('link', { name: 'Aperçu du formulaire', exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`/admin/demarches/${id}/apercu$`));
      await expect(page.locator('.stepper-count')).toHaveText('Étape 1 sur 3');
      await expect(page.getByRole('heading', { level: 1, name: 'Votre situation', exact: true })).toBeVisible();
      await expect(page.getByText('Quelques questions sur votre famille.')).toBeVisible();
      await expect(page.getByText('Aperçu : voici le formulaire tel que les usagers le verront.')).toBeVisible();
      await ready(page);
      const question = page.getByRole('group', { name: BOURSIER, exact: true });
      await expect(question.getByRole('radio', { name: 'Oui', exact: true })).toBeVisible();
      await expect(page.getByRole('textbox', { name: ETABLISSEMENT, exact: true })).toBeVisible();
      const numeroBox = page.getByRole('textbox', { name: NUMERO, exact: true });
      if (js) {
        // The question follows the answer.
        await expect(numeroBox).toBeHidden();
        await question.getByRole('radio', { name: 'Oui', exact: true }).check();
        await expect(numeroBox).toBeVisible();
        await question.getByRole('radio', { name: 'Non', exact: true }).check();
        await expect(numeroBox).toBeHidden();
        await question.getByRole('radio', { name: 'Oui', exact: true }).check();
        await expect(numeroBox).toBeVisible();
      } else {
        // Without the script, the question is shown with when to answer it.
        await expect(numeroBox).toBeVisible();
        await expect(page.getByText(`Répondez seulement si votre réponse à « ${BOURSIER} » est « Oui ».`)).toBeVisible();
      }
      await checkA11y(page);
      await screenshot(page, 'admin-11-apercu-1');

      const previewNav = page.getByRole('navigation', { name: 'Pages de l’aperçu' });
      await previewNav.getByRole('link', { name: 'Page suivante', exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`/admin/demarches/${id}/apercu\\?page=2$`));
      await expect(page.locator('.stepper-count')).toHaveText('Étape 2 sur 3');
      await expect(page.getByRole('heading', { level: 1, name: 'Vos enfants', exact: true })).toBeVisible();
      await expect(
        page.getByRole('group', { name: 'Enfant 1', exact: true }).getByRole('textbox', { name: PRENOM, exact: true }),
      ).toBeVisible();
      await expect(page.getByRole('button', { name: 'Ajouter un enfant', exact: true })).toBeVisible();
      await ready(page);

      await previewNav.getByRole('link', { name: 'Page suivante', exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`/admin/demarches/${id}/apercu\\?page=3$`));
      await expect(page.locator('.stepper-count')).toHaveText('Étape 3 sur 3');
      await expect(page.getByRole('heading', { level: 1, name: 'Pièces justificatives', exact: true })).toBeVisible();
      await expect(page.getByRole('group', { name: DOMICILE, exact: true })).toContainText('Un seul fichier.');
      await expect(previewNav.getByRole('link', { name: 'Page suivante', exact: true })).toHaveCount(0);
      await expect(previewNav.getByRole('link', { name: 'Page précédente', exact: true })).toHaveAttribute(
        'href',
        `/admin/demarches/${id}/apercu?page=2`,
      );
      await ready(page);
      await checkA11y(page);
      await screenshot(page, 'admin-12-apercu-3');
    });

    await test.step('« Publier la démarche » : version 1', async () => {
      await page.getByRole('link', { name: 'Retour au formulaire', exact: true }).click();
      await expectBuilder(page, id, title);
      await page.getByRole('link', { name: 'Retour à la démarche', exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`/admin/demarches/${id}$`));
      await expect(page.getByRole('heading', { level: 1, name: title, exact: true })).toBeVisible();
      await expect(stateFact(page, 'État')).toHaveText('Brouillon');
      await expect(stateFact(page, 'Formulaire publié')).toContainText('Aucune version publiée');
      await expect(page.getByText('Le formulaire ne peut pas encore être publié')).toHaveCount(0);
      await ready(page);
      await checkA11y(page);
      await page.getByRole('button', { name: 'Publier la démarche', exact: true }).click();
      await expect(notice(page, 'La démarche est publiée (version 1 du formulaire).')).toBeVisible();
      await expect(page).toHaveURL(new RegExp(`/admin/demarches/${id}$`));
      await expect(stateFact(page, 'État')).toHaveText('Publiée');
      await expect(stateFact(page, 'Formulaire publié')).toHaveText('Version 1');
      await expect(stateFact(page, 'Page publique').getByRole('link')).toHaveAttribute('href', `/demarches/${slug}`);
      await expect(page.getByRole('button', { name: 'Publier la démarche', exact: true })).toHaveCount(0);
      await expect(page.getByRole('button', { name: 'Clore la démarche', exact: true })).toBeVisible();
      await ready(page);
      await checkA11y(page);
      await screenshot(page, 'admin-13-publiee');
    });

    await test.step('« À la Une »', async () => {
      await page.getByRole('navigation', { name: 'Administration', exact: true }).getByRole('link', { name: 'À la Une', exact: true }).click();
      await expect(page).toHaveURL(/\/admin\/a-la-une$/);
      await expect(page.getByRole('heading', { level: 1, name: 'Démarches à la Une', exact: true })).toBeVisible();
      const item = page.locator(`li#une-${id}`);
      await expect(item.getByRole('heading', { level: 2, name: title, exact: true })).toBeVisible();
      const box = item.getByRole('checkbox', { name: `À la Une : ${title}`, exact: true });
      await expect(box).not.toBeChecked();
      await ready(page);
      await checkA11y(page);
      await box.check();
      await item.getByRole('button', { name: `Enregistrer « ${title} »`, exact: true }).click();
      await expect(notice(page, `« ${title} » est à la Une.`)).toBeVisible();
      await expect(page).toHaveURL(/\/admin\/a-la-une(#une-\d+)?$/);
      await expect(item.getByRole('checkbox', { name: `À la Une : ${title}`, exact: true })).toBeChecked();
      await expect(item).toContainText('Affichée en ce moment');
      await expect(item.locator('.adm-position')).toHaveText(/^Position \d+$/);
      await ready(page);
      await checkA11y(page);
      await screenshot(page, 'admin-14-a-la-une');
    });

    const ines = await personPage(browser, js, INES);
    let draft = 0;
    let filed = '';

    await test.step('Inès : la démarche à la Une, un brouillon laissé en page 2, puis un dossier déposé', async () => {
      await open(ines, '/');
      const une = ines.getByRole('region', { name: 'Démarches à la Une' });
      await une.getByRole('link', { name: title, exact: true }).click();
      await expect(ines).toHaveURL(new RegExp(`/demarches/${slug}$`));
      await expect(ines.getByRole('heading', { level: 1, name: title, exact: true })).toBeVisible();
      await expect(ines.getByText(summary)).toBeVisible();
      await expect(ines.locator('.prose')).toContainText('versée à l’établissement scolaire');
      await ready(ines);
      await checkA11y(ines);
      await screenshot(ines, 'admin-15-demarche-publique');
      await ines.getByRole('link', { name: 'Commencer la démarche' }).click();

      // The first dossier: « Non », page 1 saved, left on page 2.
      draft = await startForSlug(ines, slug, profile);
      await expectFormPage(ines, draft, 'Votre situation', 1);
      await expect(ines.getByText(`${title} — pour ${profile}`)).toBeVisible();
      await expect(ines.getByRole('textbox', { name: TELEPHONE })).toHaveCount(0);
      await checkA11y(ines);
      const question = ines.getByRole('group', { name: BOURSIER, exact: true });
      await question.getByRole('radio', { name: 'Non', exact: true }).check();
      await ines.getByRole('textbox', { name: ETABLISSEMENT, exact: true }).fill(`École du Lac ${project}`);
      if (js) await expect(ines.getByRole('textbox', { name: NUMERO, exact: true })).toBeHidden();
      await goNext(ines);
      await expectFormPage(ines, draft, 'Vos enfants', 2);
      await checkA11y(ines);
      await ines.getByRole('button', { name: 'Enregistrer le brouillon' }).click();
      await expect(ines.getByText('Votre brouillon est enregistré.')).toBeVisible();

      // The second dossier, filed: « Oui » and its number, two children, a PDF.
      await open(ines, `/demarches/${slug}/commencer`);
      const second = await startForSlug(ines, slug, profile);
      expect(second).not.toBe(draft);
      await expectFormPage(ines, second, 'Votre situation', 1);
      const again = ines.getByRole('group', { name: BOURSIER, exact: true });
      await again.getByRole('radio', { name: 'Oui', exact: true }).check();
      const numeroBox = ines.getByRole('textbox', { name: NUMERO, exact: true });
      await expect(numeroBox).toBeVisible();
      await numeroBox.fill(`B-${stamp}`);
      await ines.getByRole('textbox', { name: ETABLISSEMENT, exact: true }).fill(`Collège des Tilleuls ${project}`);
      await goNext(ines);

      await expectFormPage(ines, second, 'Vos enfants', 2);
      const child1 = ines.getByRole('group', { name: 'Enfant 1', exact: true });
      await child1.getByRole('textbox', { name: PRENOM, exact: true }).fill('Lina');
      await expect(ines.getByRole('group', { name: 'Enfant 2', exact: true })).toHaveCount(0);
      await ines.getByRole('button', { name: 'Ajouter un enfant', exact: true }).click();
      const child2 = ines.getByRole('group', { name: 'Enfant 2', exact: true });
      await expect(child2).toBeVisible();
      await ready(ines);
      await expect(child1.getByRole('textbox', { name: PRENOM, exact: true })).toHaveValue('Lina');
      await child2.getByRole('textbox', { name: PRENOM, exact: true }).fill('Noé');
      await screenshot(ines, 'admin-17-enfants');
      await goNext(ines);

      await expectFormPage(ines, second, 'Pièces justificatives', 3);
      await checkA11y(ines);
      await attach(ines, DOMICILE, pdfFile('domicile.pdf', 'Justificatif de domicile'));
      const piece = attachment(ines, DOMICILE);
      await expect(piece.file('domicile.pdf')).toBeVisible();
      // One file at most: no more input.
      await expect(piece.input).toHaveCount(0);
      await ready(ines);
      await goNext(ines);

      await expect(ines).toHaveURL(new RegExp(`/dossiers/${second}/verification$`));
      await expect(ines.getByRole('heading', { level: 1, name: 'Vérifiez vos réponses' })).toBeVisible();
      await expect(ines.locator('.stepper-count')).toHaveText('Étape 4 sur 4');
      await expect(ines.getByRole('definition').filter({ hasText: `B-${stamp}` })).toBeVisible();
      await expect(ines.getByRole('definition').filter({ hasText: `Collège des Tilleuls ${project}` })).toBeVisible();
      await expect(ines.getByRole('definition').filter({ hasText: 'Noé' }).first()).toBeVisible();
      await expect(ines.getByRole('link', { name: 'domicile.pdf', exact: true })).toBeVisible();
      await checkA11y(ines);
      filed = await transmit(ines, second);
      await expect(ines.locator('.dossier-status .badge')).toHaveText('Déposé');

      await open(ines, '/mon-compte/dossiers');
      const mine = ines.getByRole('listitem').filter({
        has: ines.getByRole('link', { name: `Dossier ${filed} — ${title}`, exact: true }),
      });
      await expect(mine).toHaveCount(1);
      await expect(mine.locator('.badge').first()).toHaveText('Déposé');
      await screenshot(ines, 'admin-18-mes-dossiers');
      const mail = await receipt(INES.email, filed);
      expect(mail.text).toContain(title);
    });

    await test.step('Claire ajoute « Téléphone de contact » et publie la version 2', async () => {
      await page.getByRole('navigation', { name: 'Administration', exact: true }).getByRole('link', { name: 'Démarches', exact: true }).click();
      await expect(page).toHaveURL(/\/admin\/demarches$/);
      const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: title, exact: true }) });
      await expect(row).toHaveCount(1);
      await expect(row).toContainText('À la Une');
      await expect(row).toContainText('Publiée');
      await expect(row).toContainText('(version 1)');
      await expect(row).toContainText('Particuliers');
      await ready(page);
      await row.getByRole('link', { name: title, exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`/admin/demarches/${id}$`));
      await expect(page.getByRole('heading', { level: 1, name: title, exact: true })).toBeVisible();
      await ready(page);
      await page.getByRole('link', { name: 'Modifier le formulaire', exact: true }).click();
      await expectBuilder(page, id, title);
      await expect(page.locator('.adm-status')).toContainText('Version publiée : 1.');
      await expect(page.locator('.adm-status')).not.toContainText('Modifications non publiées');

      const telephone = await addField(
        page,
        id,
        pageItem(page, 1, 'Votre situation').getByRole('group', { name: 'Ajouter un champ à la page « Votre situation »', exact: true }),
        'Numéro de téléphone',
        TELEPHONE,
      );
      await checkFieldEditor(page, TELEPHONE, 'Numéro de téléphone', 'admin-19-champ-telephone');
      await page.getByRole('checkbox', { name: 'Réponse obligatoire', exact: true }).check();
      await saveField(page, id, title);
      await expect(fieldItem(page, telephone)).toContainText('obligatoire');
      await expect(labelsIn(page.getByRole('list', { name: 'Champs de la page « Votre situation »', exact: true }))).toHaveText([
        BOURSIER,
        NUMERO,
        ETABLISSEMENT,
        TELEPHONE,
      ]);
      await expect(page.locator('.adm-status')).toContainText('Modifications non publiées');

      await page.getByRole('link', { name: 'Retour à la démarche', exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`/admin/demarches/${id}$`));
      await expect(stateFact(page, 'Formulaire publié')).toContainText('Version 1');
      await expect(stateFact(page, 'Formulaire publié')).toContainText('Modifications non publiées');
      await ready(page);
      await page.getByRole('button', { name: 'Publier la nouvelle version du formulaire', exact: true }).click();
      await expect(notice(page, /version 2/)).toBeVisible();
      await expect(stateFact(page, 'Formulaire publié')).toHaveText('Version 2');
      await expect(stateFact(page, 'État')).toHaveText('Publiée');
      // The draft and the filed dossier keep version 1.
      await expect(stateFact(page, 'Sur une version antérieure')).toHaveText(
        '2 dossier(s) ou brouillon(s) gardent la version sur laquelle ils ont été commencés.',
      );
      await ready(page);
      await checkA11y(page);
      await screenshot(page, 'admin-20-version-2');
    });

    await test.step('Inès : son brouillon garde la version 1 ; un nouveau dossier a la version 2', async () => {
      await open(ines, '/mon-compte/brouillons');
      const card = draftCard(ines, draft);
      await expect(card).toHaveCount(1);
      await expect(card.getByRole('heading', { name: title })).toBeVisible();
      await ready(ines);
      await card.getByRole('link', { name: `Reprendre : ${title}`, exact: true }).click();
      await expectFormPage(ines, draft, 'Votre situation', 1);
      await expect(ines.getByRole('group', { name: BOURSIER, exact: true }).getByRole('radio', { name: 'Non', exact: true })).toBeChecked();
      await expect(ines.getByRole('textbox', { name: ETABLISSEMENT, exact: true })).toHaveValue(`École du Lac ${project}`);
      await expect(ines.getByRole('textbox', { name: TELEPHONE })).toHaveCount(0);
      await expect(ines.getByText(TELEPHONE)).toHaveCount(0);
      await goNext(ines);

      await expectFormPage(ines, draft, 'Vos enfants', 2);
      await ines.getByRole('group', { name: 'Enfant 1', exact: true }).getByRole('textbox', { name: PRENOM, exact: true }).fill('Jade');
      await goNext(ines);
      await expectFormPage(ines, draft, 'Pièces justificatives', 3);
      await attach(ines, DOMICILE, pdfFile('facture-eau.pdf', 'Facture d eau'));
      await expect(attachment(ines, DOMICILE).file('facture-eau.pdf')).toBeVisible();
      await ready(ines);
      await goNext(ines);
      await expect(ines).toHaveURL(new RegExp(`/dossiers/${draft}/verification$`));
      await expect(ines.getByRole('heading', { level: 1, name: 'Vérifiez vos réponses' })).toBeVisible();
      await expect(ines.locator('.stepper-count')).toHaveText('Étape 4 sur 4');
      await expect(ines.getByRole('definition').filter({ hasText: 'Jade' })).toBeVisible();
      await expect(ines.getByText(TELEPHONE)).toHaveCount(0);
      const number = await transmit(ines, draft);
      expect(number).not.toBe(filed);
      await expect(ines.locator('.dossier-status .badge')).toHaveText('Déposé');

      // A new dossier starts on version 2: the telephone question is asked.
      await open(ines, `/demarches/${slug}/commencer`);
      const third = await startForSlug(ines, slug, profile);
      await expectFormPage(ines, third, 'Votre situation', 1);
      await expect(ines.getByRole('textbox', { name: TELEPHONE, exact: true })).toBeVisible();
      await expect(ines.getByRole('textbox', { name: TELEPHONE, exact: true })).toHaveAttribute('type', 'tel');
      await checkA11y(ines);
      await screenshot(ines, 'admin-21-version-2-usager');
      // Not filed: the draft goes again.
      await open(ines, `/mon-compte/brouillons/${third}/supprimer`);
      await ines.getByRole('button', { name: 'Supprimer le brouillon' }).click();
      await expect(ines).toHaveURL(/\/mon-compte\/brouillons\?message=brouillon-supprime$/);
      await expect(draftCard(ines, third)).toHaveCount(0);
      await ines.context().close();
    });

    await test.step('« Journal des actions » : les publications, le filtre par action', async () => {
      await page.getByRole('navigation', { name: 'Administration', exact: true }).getByRole('link', { name: 'Journal', exact: true }).click();
      await expect(page).toHaveURL(/\/admin\/journal$/);
      await expect(page.getByRole('heading', { level: 1, name: 'Journal des actions', exact: true })).toBeVisible();
      const object = `Démarche n° ${id} : ${title}`;
      const published = page.getByRole('row').filter({ hasText: object }).filter({ hasText: 'Démarche publiée' });
      await expect(published).toHaveCount(2);
      await expect(published.first()).toContainText('Version 2 du formulaire');
      await expect(published.first()).toContainText(CLAIRE.email);
      await expect(published.nth(1)).toContainText('Version 1 du formulaire');
      const created = page.getByRole('row').filter({ hasText: object }).filter({ hasText: 'Démarche créée' });
      await expect(created).toHaveCount(1);
      await ready(page);
      await checkA11y(page);

      const filters = page.getByRole('search', { name: 'Filtrer le journal' });
      await filters.getByRole('combobox', { name: 'Action', exact: true }).selectOption({ label: 'Démarche publiée' });
      await filters.getByRole('button', { name: 'Filtrer', exact: true }).click();
      await expect(page).toHaveURL(/[?&]action=demarche_publiee(&|$)/);
      // The lines of other actions on this démarche are filtered out.
      await expect(created).toHaveCount(0);
      await expect(published).toHaveCount(2);
      await expect(filters.getByRole('combobox', { name: 'Action', exact: true })).toHaveValue('demarche_publiee');
      const actions = page.locator('table.adm-audit tbody tr td:nth-child(3)');
      expect(new Set(await actions.allTextContents()), 'the actions listed once filtered').toEqual(new Set(['Démarche publiée']));
      await ready(page);
      await checkA11y(page);
      await screenshot(page, 'admin-22-journal');

      // With the démarche as object too: its two publications only.
      await filters.getByRole('combobox', { name: 'Objet', exact: true }).selectOption({ label: 'Démarche' });
      await filters.getByRole('textbox', { name: 'Numéro de l’objet', exact: true }).fill(String(id));
      await filters.getByRole('button', { name: 'Filtrer', exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`[?&]id=${id}(&|$)`));
      await expect(page.locator('table.adm-audit tbody tr')).toHaveCount(2);
      await expect(published).toHaveCount(2);
      await ready(page);
    });

    await test.step('services, utilisateurs ; la démarche quitte la Une', async () => {
      await visit(page, '/admin/services');
      await expect(page.getByRole('heading', { level: 1, name: 'Services instructeurs', exact: true })).toBeVisible();
      await screenshot(page, 'admin-23-services');
      await visit(page, '/admin/utilisateurs');
      await expect(page.getByRole('heading', { level: 1, name: 'Utilisateurs', exact: true })).toBeVisible();
      await screenshot(page, 'admin-24-utilisateurs');

      await visit(page, '/admin/a-la-une');
      await ready(page);
      const item = page.locator(`li#une-${id}`);
      await item.getByRole('checkbox', { name: `À la Une : ${title}`, exact: true }).uncheck();
      await item.getByRole('button', { name: `Enregistrer « ${title} »`, exact: true }).click();
      await expect(notice(page, `« ${title} » n’est plus à la Une.`)).toBeVisible();
      await expect(item.getByRole('checkbox', { name: `À la Une : ${title}`, exact: true })).not.toBeChecked();
      await expect(item).not.toContainText('Affichée en ce moment');
    });
  });
});
