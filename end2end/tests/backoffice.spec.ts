// The back-office end to end, JavaScript on and off (every form is a plain HTML post):
//  Camille files « Aide au permis de conduire pour les jeunes »; the instructor (Karim with
//  JavaScript, Léa without: a TOTP code passes once per 30-second step and account) signs
//  in with a code computed here, finds the dossier in the démarche's « À traiter » by its
//  number, « Passer en instruction », then « Demander des compléments » (first without the
//  required message: the error summary and the field's error). Camille gets the email,
//  opens its link, « Compléter mon dossier », changes an answer and the quote, and
//  « Transmettre les compléments ». The instructor sees « Compléments reçus » in
//  « À traiter », writes a message that Camille reads and answers, and « Accepter » with a
//  message and the « Lettre de notification » (a PDF). Camille gets the explanatory email,
//  sees « Accepté » and the whole history, and the letter in « Mes documents reçus »,
//  « Nouveau » until she downloads it.
//
// Every back-office page visited, and « Mes documents reçus », is checked with axe-core.
// The server's database persists between runs: the dossier is found by its number and id,
// the typed values carry the project's name and a time stamp.
import { test, expect, visit, screenshot, isJsDisabled, checkA11y } from './fixtures';
import type { Locator, Page } from '@playwright/test';
import { linkIn } from './mail';
import {
  CAMILLE,
  KARIM,
  LEA,
  PERMIS,
  pdfFile,
  samplePdf,
  ready,
  signIn,
  signInStaff,
  expectFormPage,
  goNext,
  attachment,
  attach,
  filePermis,
  mailWithSubject,
  download,
} from './helpers';

// ---------------------------------------------------------------- helpers

/** From « Instruction »: the démarche → its « À traiter » tab → search by number; returns the dossier's row. */
async function findInQueue(staff: Page, number: string, shot: string): Promise<Locator> {
  await visit(staff, '/instruction');
  await expect(staff.getByRole('heading', { level: 1, name: 'Instruction' })).toBeVisible();
  await screenshot(staff, `${shot}-accueil`);
  await ready(staff);
  await staff.getByRole('heading', { level: 2, name: PERMIS }).getByRole('link', { name: PERMIS }).click();
  await expect(staff).toHaveURL(/\/instruction\/demarches\/\d+\?onglet=a-traiter$/);
  await expect(staff.getByRole('heading', { level: 1, name: PERMIS })).toBeVisible();
  const tabs = staff.getByRole('navigation', { name: 'Dossiers par étape' });
  await expect(tabs.getByRole('link', { name: /^À traiter \(\d+\)$/ })).toHaveAttribute('aria-current', 'page');
  await ready(staff);
  await checkA11y(staff);

  const filters = staff.getByRole('search', { name: 'Filtrer les dossiers' });
  await filters.getByRole('searchbox', { name: 'Rechercher' }).fill(number);
  await filters.getByRole('button', { name: 'Filtrer' }).click();
  await expect(staff).toHaveURL(new RegExp(`[?&]q=${number}(&|$)`));
  await expect(staff).toHaveURL(/[?&]onglet=a-traiter(&|$)/);
  await expect(staff.getByRole('status').filter({ hasText: /dans l’onglet « À traiter » \(filtres appliqués\)$/ })).toHaveText(
    /^1 dossier\(s\) sur \d+ dans l’onglet/,
  );
  const row = staff.getByRole('row').filter({ has: staff.getByRole('link', { name: number, exact: true }) });
  await expect(row).toHaveCount(1);
  await ready(staff);
  await checkA11y(staff);
  await screenshot(staff, `${shot}-file`);
  return row;
}

/** The instructor's page of the dossier: its h1 and status. */
async function expectInstructionPage(staff: Page, id: number, number: string, status: string) {
  await expect(staff).toHaveURL(new RegExp(`/instruction/dossiers/${id}(#.*)?$`));
  await expect(staff.getByRole('heading', { level: 1, name: new RegExp(`^Dossier ${number}`) })).toBeVisible();
  await expect(staff.getByRole('region', { name: 'Statut' }).locator('.badge')).toHaveText(status);
  await ready(staff);
}

/** The disclosure of an action on the instructor's page, opened. */
async function openAction(staff: Page, slug: string, label: string): Promise<Locator> {
  const panel = staff.locator(`details#action-${slug}`);
  await expect(panel.locator('summary')).toHaveText(label);
  if ((await panel.getAttribute('open')) === null) await panel.locator('summary').click();
  await expect(panel).toHaveAttribute('open', '');
  return panel;
}

/** The success notice after an action. */
function doneNotice(staff: Page, status: string): Locator {
  return staff.getByRole('status').filter({ hasText: `C’est fait : le dossier est maintenant « ${status} ».` });
}

// ---------------------------------------------------------------- test

test.describe('instruction', () => {
  test('un dossier « Aide au permis » instruit de bout en bout : compléments, messages, acceptation, lettre de notification', async ({
    page,
    browser,
  }, testInfo) => {
    test.setTimeout(360_000);
    const js = !isJsDisabled(page);
    const project = testInfo.project.name;
    const stamp = Date.now();
    // One account per project: a code passes once per step and account.
    const instructor = js ? KARIM : LEA;

    // ------------------------------------------------ Camille files the dossier
    await signIn(page, CAMILLE);
    const { id, number } = await filePermis(page, CAMILLE, `Instruction-${project}-${stamp}`, 'instruction-01-pour-qui');

    // ------------------------------------------------ the instructor signs in with a code
    const staffContext = await browser.newContext({ javaScriptEnabled: js, locale: 'fr-FR' });
    const staff = await staffContext.newPage();
    await signInStaff(staff, instructor, { a11y: true, shot: 'instruction-02-code' });
    await expect(staff.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Instruction' })).toBeVisible();

    // « Instruction » → the démarche → « À traiter » → its number → the dossier.
    let row = await findInQueue(staff, number, 'instruction-03');
    const queuePath = new URL(staff.url()).pathname;
    await expect(row.locator('.badge')).toHaveText('Déposé');
    await expect(row).toContainText(CAMILLE.name);
    await row.getByRole('link', { name: number, exact: true }).click();
    await expectInstructionPage(staff, id, number, 'Déposé');
    await expect(staff.getByRole('region', { name: 'Réponses du formulaire' })).toContainText(`Instruction-${project}-${stamp}`);
    await expect(staff.getByRole('region', { name: 'Demandeur' })).toContainText(CAMILLE.email);
    await checkA11y(staff);
    await screenshot(staff, 'instruction-04-dossier');

    // « Passer en instruction », with a short message.
    const passMessage = `Votre dossier est en cours d’examen (${project} ${stamp}).`;
    let panel = await openAction(staff, 'passer-en-instruction', 'Passer en instruction');
    await panel.getByRole('textbox', { name: 'Message à l’usager (facultatif)' }).fill(passMessage);
    await checkA11y(staff);
    await panel.getByRole('button', { name: 'Passer en instruction' }).click();
    await expectInstructionPage(staff, id, number, 'En cours d’instruction');
    await expect(doneNotice(staff, 'En cours d’instruction')).toBeVisible();
    await checkA11y(staff);
    await screenshot(staff, 'instruction-05-en-instruction');
    const instructing = await mailWithSubject(CAMILLE.email, `Dossier ${number} : en cours d’instruction`);
    expect(instructing.text).toContain(passMessage);

    // « Demander des compléments » without the message: refused, with the error summary.
    panel = await openAction(staff, 'demander-des-complements', 'Demander des compléments');
    await panel.getByRole('button', { name: 'Demander des compléments' }).click();
    await expect(staff).toHaveURL(new RegExp(`/instruction/dossiers/${id}#action-demander-des-complements$`));
    panel = staff.locator('details#action-demander-des-complements');
    await expect(panel).toHaveAttribute('open', '');
    const required = 'Écrivez le message que la personne lira : il est obligatoire pour « Demander des compléments ».';
    const summary = panel.getByRole('alert').filter({ hasText: 'Il y a un problème' });
    await expect(summary).toBeVisible();
    await expect(summary.getByRole('link', { name: required })).toHaveAttribute('href', '#demander-des-complements-message');
    const complementsBox = panel.getByRole('textbox', { name: 'Message à l’usager', exact: true });
    await expect(complementsBox).toHaveAttribute('aria-invalid', 'true');
    await expect(complementsBox).toHaveAccessibleDescription(new RegExp(`Erreur : ${required.replace(/[.()]/g, '\\$&')}`));
    await expect(staff.getByRole('region', { name: 'Statut' }).locator('.badge')).toHaveText('En cours d’instruction');
    await ready(staff);
    await checkA11y(staff);
    await screenshot(staff, 'instruction-06-complements-erreur');

    // Then with the message naming the missing piece.
    const complementsMessage = `Pièce manquante : le devis signé par l’auto-école. Corrigez aussi le montant du devis : 1 180 € (${project} ${stamp}).`;
    await complementsBox.fill(complementsMessage);
    await panel.getByRole('button', { name: 'Demander des compléments' }).click();
    await expectInstructionPage(staff, id, number, 'Compléments demandés');
    await expect(doneNotice(staff, 'Compléments demandés')).toBeVisible();
    await checkA11y(staff);
    await screenshot(staff, 'instruction-07-complements-demandes');

    // ------------------------------------------------ Camille completes her dossier
    const asked = await mailWithSubject(CAMILLE.email, `Dossier ${number} : compléments demandés`);
    expect(asked.subject).toContain(number);
    expect(asked.text).toContain(complementsMessage);
    expect(asked.text).toContain('« Transmettre les compléments »');
    const link = linkIn(asked, `/mon-compte/dossiers/${id}`);
    expect(link).toBe(`/mon-compte/dossiers/${id}`);
    await visit(page, link);
    await expect(page.getByRole('heading', { level: 1, name: new RegExp(`^Dossier ${number}`) })).toBeVisible();
    await expect(page.locator('.dossier-status .badge')).toHaveText('Compléments demandés');
    const history = page.getByRole('region', { name: 'Historique' });
    await expect(history.getByRole('listitem').first()).toContainText('Compléments demandés');
    await expect(history.getByRole('listitem').first()).toContainText(complementsMessage);
    await screenshot(page, 'instruction-08-usager-complements');
    await ready(page);
    await page.getByRole('link', { name: 'Compléter mon dossier' }).click();
    await expectFormPage(page, id, 'Le jeune', 1);
    await checkA11y(page);
    await goNext(page);
    await expectFormPage(page, id, 'L’auto-école', 2);
    const amount = page.getByRole('textbox', { name: 'Montant du devis (en €)' });
    await expect(amount).toHaveValue('1250');
    await amount.fill('1180');
    await goNext(page);
    await expectFormPage(page, id, 'Pièces justificatives', 3);
    // The signed quote replaces the first one (one file at most).
    const devis = attachment(page, 'Devis de l’auto-école');
    await devis.group.getByRole('button', { name: 'Retirer le fichier devis.pdf' }).click();
    await expect(devis.file('devis.pdf')).toHaveCount(0);
    await ready(page);
    await attach(page, 'Devis de l’auto-école', pdfFile('devis-signe.pdf', 'Devis signe'));
    await expect(devis.file('devis-signe.pdf')).toBeVisible();
    await checkA11y(page);
    await ready(page);
    await goNext(page);

    await expect(page).toHaveURL(new RegExp(`/dossiers/${id}/verification$`));
    await expect(page.getByRole('heading', { level: 1, name: 'Vérifiez vos réponses' })).toBeVisible();
    await expect(page.getByRole('definition').filter({ hasText: /1\s?180/ })).toBeVisible();
    await expect(page.getByRole('link', { name: 'devis-signe.pdf', exact: true })).toBeVisible();
    await expect(page.getByRole('heading', { level: 2, name: 'Transmettre les compléments' })).toBeVisible();
    await checkA11y(page);
    await screenshot(page, 'instruction-09-usager-verification');
    await ready(page);
    await page.getByRole('button', { name: 'Transmettre les compléments' }).click();
    await expect(page).toHaveURL(new RegExp(`/mon-compte/dossiers/${id}\\?message=dossier-transmis$`));
    await expect(page.locator('.dossier-status .badge')).toHaveText('Compléments reçus');
    await checkA11y(page);

    // ------------------------------------------------ back to the instructor: « Compléments reçus »
    // (The instructor's session is still open: no second sign-in, no second code.)
    row = await findInQueue(staff, number, 'instruction-10');
    await expect(row.locator('.badge')).toHaveText('Compléments reçus');
    await row.getByRole('link', { name: number, exact: true }).click();
    await expectInstructionPage(staff, id, number, 'Compléments reçus');
    const answers = staff.getByRole('region', { name: 'Réponses du formulaire' });
    await expect(answers).toContainText(/1\s?180/);
    await expect(answers.getByRole('link', { name: 'devis-signe.pdf', exact: true })).toBeVisible();
    await checkA11y(staff);

    // The message thread: the instructor writes, Camille reads and answers.
    const question = `Le jeune a-t-il déjà passé le code de la route ? (${project} ${stamp})`;
    let thread = staff.getByRole('region', { name: 'Messages' });
    await thread.getByRole('textbox', { name: 'Votre message' }).fill(question);
    await thread.getByRole('button', { name: 'Envoyer' }).click();
    await expect(staff).toHaveURL(new RegExp(`/instruction/dossiers/${id}#messages$`));
    thread = staff.getByRole('region', { name: 'Messages' });
    await expect(staff.getByRole('status').filter({ hasText: 'Votre message est envoyé.' })).toBeVisible();
    await expect(thread.getByRole('listitem').filter({ hasText: question })).toContainText(instructor.name);
    await ready(staff);
    await checkA11y(staff);

    const told = await mailWithSubject(CAMILLE.email, `Dossier ${number} : nouveau message du Département`);
    expect(told.text).toContain(question);
    await visit(page, `/mon-compte/dossiers/${id}`);
    let mine = page.getByRole('region', { name: 'Messages' });
    await expect(mine.getByRole('listitem').filter({ hasText: question })).toBeVisible();
    const reply = `Oui, le code est obtenu depuis septembre (${project} ${stamp}).`;
    await ready(page);
    await mine.getByRole('textbox', { name: 'Votre message' }).fill(reply);
    await mine.getByRole('button', { name: 'Envoyer' }).click();
    await expect(page).toHaveURL(new RegExp(`/mon-compte/dossiers/${id}#messages$`));
    mine = page.getByRole('region', { name: 'Messages' });
    await expect(mine.getByRole('status').filter({ hasText: 'Votre message est envoyé.' })).toBeVisible();
    await expect(mine.getByRole('listitem').filter({ hasText: reply })).toContainText(CAMILLE.name);
    await ready(page);
    await checkA11y(page);
    await screenshot(page, 'instruction-11-usager-messages');

    await staff.reload();
    await expectInstructionPage(staff, id, number, 'Compléments reçus');
    await expect(staff.getByRole('region', { name: 'Messages' }).getByRole('listitem').filter({ hasText: reply })).toContainText(
      CAMILLE.name,
    );
    await checkA11y(staff);

    // « Accepter », with a message and the notification letter.
    const decision = `Votre aide de 500 € est accordée (${project} ${stamp}).`;
    const letter = samplePdf(`Lettre de notification ${number}`);
    panel = await openAction(staff, 'accepter', 'Accepter');
    await panel.getByRole('textbox', { name: 'Message à l’usager (facultatif)' }).fill(decision);
    const documentGroup = panel.getByRole('group', { name: 'Document de décision (facultatif)' });
    await documentGroup.getByRole('textbox', { name: 'Titre du document' }).fill('Lettre de notification');
    await documentGroup
      .getByLabel('Joindre un fichier', { exact: true })
      .setInputFiles({ name: `notification-${number}.pdf`, mimeType: 'application/pdf', buffer: letter });
    await checkA11y(staff);
    await screenshot(staff, 'instruction-12-accepter');
    await panel.getByRole('button', { name: 'Accepter' }).click();
    await expectInstructionPage(staff, id, number, 'Accepté');
    await expect(doneNotice(staff, 'Accepté')).toBeVisible();
    const staffHistory = staff.getByRole('region', { name: 'Historique' });
    await expect(staffHistory.getByRole('listitem').first()).toContainText('Accepté');
    await expect(staffHistory.getByRole('listitem').first()).toContainText(decision);
    await expect(staffHistory.getByRole('link', { name: 'Lettre de notification' })).toBeVisible();
    await checkA11y(staff);
    await screenshot(staff, 'instruction-13-accepte');
    // Accepted: no longer in « À traiter ».
    await visit(staff, `${queuePath}?onglet=a-traiter&q=${number}`);
    await expect(staff.getByText('Aucun dossier ne correspond.')).toBeVisible();
    await staffContext.close();

    // ------------------------------------------------ Camille: the email, the dossier, the letter
    const accepted = await mailWithSubject(CAMILLE.email, `Dossier ${number} : accepté`);
    expect(accepted.text).toContain('accepté');
    expect(accepted.text).toContain(decision);
    expect(accepted.text).toContain('Lettre de notification');
    expect(accepted.text).toContain('« Mes documents reçus »');

    await visit(page, '/mon-compte');
    await ready(page);
    await page.getByRole('link', { name: 'Mes dossiers', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Mes dossiers' })).toBeVisible();
    await ready(page);
    await page.getByRole('link', { name: `Dossier ${number} — ${PERMIS}`, exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: new RegExp(`^Dossier ${number}`) })).toBeVisible();
    await expect(page.locator('.dossier-status .badge')).toHaveText('Accepté');
    await expect(page.getByRole('link', { name: 'Compléter mon dossier' })).toHaveCount(0);
    const events = page.getByRole('region', { name: 'Historique' }).getByRole('list').first().getByRole('listitem');
    await expect(events).toHaveText([
      new RegExp(`^Accepté — .*${escape(decision)}`),
      /^Compléments reçus — /,
      new RegExp(`^Compléments demandés — .*${escape(complementsMessage)}`),
      new RegExp(`^En cours d’instruction — .*${escape(passMessage)}`),
      /^Déposé — /,
    ]);
    await checkA11y(page);
    await screenshot(page, 'instruction-14-usager-accepte');

    // « Mon compte » → « Mes documents reçus »: the letter, « Nouveau ».
    await ready(page);
    await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Mon compte' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Mon compte' })).toBeVisible();
    await ready(page);
    await page.getByRole('link', { name: 'Mes documents reçus', exact: true }).click();
    await expect(page).toHaveURL(/\/mon-compte\/documents$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Mes documents reçus' })).toBeVisible();
    const card = receivedCard(page, number);
    await expect(card).toHaveCount(1);
    await expect(card.getByRole('heading', { level: 2 })).toHaveText(/^Nouveau\s+Lettre de notification$/);
    await expect(card.getByRole('link', { name: number, exact: true })).toHaveAttribute('href', `/mon-compte/dossiers/${id}`);
    await expect(card).toContainText(decision);
    await ready(page);
    await checkA11y(page);
    await screenshot(page, 'instruction-15-documents-recus');

    const got = await download(
      page,
      testInfo,
      card.getByRole('link', { name: /^Télécharger « Lettre de notification » \(PDF, / }),
      `lettre-${number}.pdf`,
    );
    expect(got.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(got.bytes.equals(letter), 'the downloaded letter is the PDF the instructor sent').toBe(true);
    expect(got.suggested).toBe(`notification-${number}.pdf`);

    // Read: no longer « Nouveau ».
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Mes documents reçus' })).toBeVisible();
    await expect(receivedCard(page, number).getByRole('heading', { level: 2 })).toHaveText('Lettre de notification');
    await expect(receivedCard(page, number).getByText('Nouveau', { exact: true })).toHaveCount(0);
    await ready(page);
    await checkA11y(page);
    await screenshot(page, 'instruction-16-documents-lus');
  });
});

/** The card of « Mes documents reçus » for dossier `number`. */
function receivedCard(page: Page, number: string): Locator {
  return page
    .getByRole('list')
    .filter({ has: page.locator('.document-card') })
    .getByRole('listitem')
    .filter({ has: page.getByRole('link', { name: number, exact: true }) });
}

/** `text` as a literal inside a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
