// Dossiers end to end, JavaScript on and off:
//  1. Camille, as herself, files « Aide au permis de conduire pour les jeunes » from the
//     home page's « Démarches à la Une »: an error on page 1, attachments on page 3 (a PDF
//     and a PNG, then an HTML page and a program disguised as PDFs, refused by name), a
//     pause through « Mes brouillons » → « Reprendre », « Vérifiez vos réponses »,
//     « Transmettre », the receipt email, « Mes dossiers » and the PDF copy.
//  2. Camille files « Fonds d’aide à l’investissement des communes » for « Commune de
//     Valbourg » (a repeated group with a second expense, attachments); a person outside the
//     profile gets « Page introuvable » on the dossier; Karim joins the profile with a share
//     key and then sees the dossier; Camille removes him again (the database persists).
//  3. « Mes brouillons » → « Supprimer » → « Supprimer le brouillon » removes a draft.
//
// The server's database persists between runs: each dossier is found by its id or number,
// and the typed values carry the project's name and a time stamp.
import { test, expect, visit, hydrated, screenshot, isJsDisabled, checkA11y } from './fixtures';
import type { Browser, Locator, Page, TestInfo } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { mailsTo, type Mail } from './mail';

// Demo accounts (seeded by the test server).
const CAMILLE = { email: 'usager@vallee-verte.example', password: 'Usager-Demo-2026', name: 'Camille Martin' };
const KARIM = { email: 'instructeur@vallee-verte.example', password: 'Instruction-Demo-2026', name: 'Karim Benali' };
const CLAIRE = { email: 'admin@vallee-verte.example', password: 'Administration-Demo-2026', name: 'Claire Rousseau' };
type Person = typeof CAMILLE;

const PERMIS = 'Aide au permis de conduire pour les jeunes';
const FONDS = 'Fonds d’aide à l’investissement des communes';
const PERSONAL = `${CAMILLE.name} (particulier)`;
const VALBOURG = 'Commune de Valbourg (collectivité)';

// ---------------------------------------------------------------- files made at run time

/** A PDF 1.7 file of one page showing `text`, with a cross-reference table whose offsets are right
 * (the same construction as `sample_pdf()` in src/server/uploads/sniff.rs). */
function samplePdf(text: string): Buffer {
  const content = `BT\n/F1 24 Tf\n72 760 Td\n(${text}) Tj\nET\n`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n'), Buffer.from([0x25, 0xe2, 0xe3, 0xcf, 0xd3, 0x0a])];
  let length = parts.reduce((n, b) => n + b.length, 0);
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(length);
    const chunk = Buffer.from(`${i + 1} 0 obj\n${body}\nendobj\n`, 'latin1');
    parts.push(chunk);
    length += chunk.length;
  });
  let tail = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) tail += `${String(offset).padStart(10, '0')} 00000 n \n`;
  tail += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`;
  parts.push(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A valid 1×1 PNG (one blue pixel), with correct CRCs. */
function samplePng(): Buffer {
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.from([0, 0x1f, 0x5f, 0xbf]))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A web page, to be sent under a PDF's name. */
const HTML_PAGE = Buffer.from(
  '<!DOCTYPE html>\n<html lang="fr"><head><title>Pièce</title></head><body><script>alert("x")</script></body></html>\n',
);

/** The start of a Windows program (MZ header and DOS stub), to be sent under a PDF's name. */
function sampleProgram(): Buffer {
  const bytes = Buffer.alloc(256);
  bytes.write('MZ', 0, 'latin1');
  bytes.writeUInt32LE(0x80, 0x3c);
  bytes.write('This program cannot be run in DOS mode.\r\r\n$', 0x4e, 'latin1');
  bytes.write('PE\0\0', 0x80, 'latin1');
  return bytes;
}

const pdfFile = (name: string, text = 'Justificatif de test') => ({ name, mimeType: 'application/pdf', buffer: samplePdf(text) });
const pngFile = (name: string) => ({ name, mimeType: 'image/png', buffer: samplePng() });

// ---------------------------------------------------------------- helpers

async function ready(page: Page) {
  if (!isJsDisabled(page)) await hydrated(page);
}

async function signIn(page: Page, who: Person) {
  await page.goto('/connexion');
  await ready(page);
  await page.getByLabel('Identifiant (adresse électronique)').fill(who.email);
  await page.getByLabel('Mot de passe', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Connecter' }).click();
  await expect(page).toHaveURL(/\/mon-compte$/);
  await ready(page);
}

async function personPage(browser: Browser, js: boolean, who: Person): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: js, locale: 'fr-FR' });
  const page = await context.newPage();
  await signIn(page, who);
  return page;
}

/** The form's « Page suivante » (not the hidden default button that Enter presses). */
function nextButton(page: Page): Locator {
  return page.locator('.form-navigation').getByRole('button', { name: 'Page suivante', exact: true });
}

/** Waits for the form page titled `title` (its h1) at step `step`. */
async function expectFormPage(page: Page, id: number, title: string, step: number) {
  await expect(page).toHaveURL(new RegExp(`/dossiers/${id}/etape/\\d+(\\?.*)?(#.*)?$`));
  await expect(page.getByRole('heading', { level: 1, name: title, exact: true })).toBeVisible();
  await expect(page.locator('.stepper-count')).toHaveText(new RegExp(`^Étape ${step} sur \\d+$`));
  await ready(page);
}

async function goNext(page: Page) {
  await nextButton(page).click();
}

/** On « Commencer la démarche »: picks `profile` (radio when several fit, or the only one stated), starts, returns the draft's id. */
async function startFor(page: Page, profile: string, shot: string): Promise<number> {
  await expect(page).toHaveURL(/\/demarches\/[a-z-]+\/commencer$/);
  const start = page.getByRole('button', { name: 'Commencer la démarche' });
  await expect(start).toBeVisible();
  await ready(page);
  const choice = page.getByRole('group', { name: 'Pour qui déposez-vous cette demande ?' });
  if ((await choice.count()) > 0) {
    await choice.getByRole('radio', { name: profile, exact: true }).check();
  } else {
    await expect(page.getByText('Vous déposez cette demande en tant que :')).toContainText(profile);
  }
  await checkA11y(page);
  await screenshot(page, shot);
  await start.click();
  await expect(page).toHaveURL(/\/dossiers\/\d+\/etape\/1$/);
  return Number(new URL(page.url()).pathname.split('/')[2]);
}

/** The fieldset of an attachment question, its hidden-labelled file input and its button. */
function attachment(page: Page, label: string) {
  const group = page.getByRole('group', { name: label, exact: true });
  return {
    group,
    input: page.getByLabel(`Fichier pour « ${label} »`, { exact: true }),
    button: group.getByRole('button', { name: 'Joindre un fichier' }),
    file: (name: string) => group.getByRole('link', { name, exact: true }),
  };
}

/** Chooses `files` for the attachment question `label` and presses its « Joindre un fichier ».
 *
 * BUG: with JavaScript on, the file is sent by XMLHttpRequest (src/dossiers/pages.rs,
 * `Enhancer::upload`) and the handler answers `{"redirect":"/dossiers/N/etape/3#champ-…",…}`;
 * the client then calls `location.assign(redirect)`, which only differs from the current
 * address by its fragment: a same-document scroll, no reload. The file is stored (a manual
 * reload shows it) but the list under the question never shows it, and the file input
 * still holds it. No workaround here: the assertions after each attach fail until fixed. */
async function attach(page: Page, label: string, files: Parameters<Locator['setInputFiles']>[0]) {
  const field = attachment(page, label);
  await field.input.setInputFiles(files);
  await field.button.click();
}

/** The receipt of dossier `number`, sent to `to`. */
async function receipt(to: string, number: string): Promise<Mail> {
  const subject = `Accusé de réception : dossier ${number}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = (await mailsTo(to, 1)).find((m) => m.subject === subject);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no email « ${subject} » to ${to} in ${process.env.GUICHET_E2E_OUTBOX}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** « Vérifiez vos réponses » → « Transmettre »; returns the dossier's number. */
async function transmit(page: Page, id: number): Promise<string> {
  await ready(page);
  await page.getByRole('button', { name: 'Transmettre', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/mon-compte/dossiers/${id}\\?message=dossier-transmis$`));
  await expect(page.getByText('Votre dossier est transmis. Un accusé de réception vous a été envoyé par courriel.')).toBeVisible();
  const h1 = page.getByRole('heading', { level: 1 });
  await expect(h1).toHaveText(/^Dossier \d{4}-\d{6}\s/);
  return (await h1.textContent())!.match(/\d{4}-\d{6}/)![0];
}

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

/** Text of a PDF by pdftotext when the machine has it; null otherwise. */
function pdfText(file: string): string | null {
  if (!existsSync('/usr/bin/pdftotext')) return null;
  return execFileSync('/usr/bin/pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
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
    await page.getByRole('textbox', { name: 'Nom de l’auto-école' }).fill(`Auto-école du Centre ${project}`);
    const address = page.getByRole('group', { name: 'Adresse de l’auto-école' });
    await address.getByRole('textbox', { name: 'Numéro et voie' }).fill('8 avenue de la Gare');
    await address.getByRole('textbox', { name: 'Code postal' }).fill('00100');
    await address.getByRole('textbox', { name: 'Commune' }).fill('Valbourg');
    await page.getByRole('textbox', { name: 'Montant du devis (en €)' }).fill('1250');
    await page
      .getByRole('group', { name: 'Avez-vous déjà été inscrit dans une auto-école pour préparer le permis B ?' })
      .getByRole('radio', { name: 'Non' })
      .check();
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
    // BUG (JavaScript on): the attached file is not listed until the page is reloaded (see attach()).
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
    // BUG (JavaScript on): the refusal is lost. The XHR answer carries it in `notices`, but
    // `Enhancer::upload` ignores them and `page_post` keeps them in the session only for
    // posts without JavaScript: the alert below never appears, even after a reload.
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
    await expect(page.getByRole('link', { name: 'carte-identite.pdf' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'justificatif-domicile.png' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'devis-auto-ecole.pdf' })).toBeVisible();
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
    // BUG (JavaScript on): each attached file is listed only after a reload (see attach()).
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

    // Camille's « Commune de Valbourg » → « Composition »: Karim is not a member (a run
    // stopped half-way may have left him in).
    await visit(page, '/mon-compte/profils');
    await ready(page);
    await page.getByRole('link', { name: 'Commune de Valbourg', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Commune de Valbourg' })).toBeVisible();
    const profilePath = new URL(page.url()).pathname;
    await visit(page, `${profilePath}/composition`);
    await ready(page);
    const removeKarim = page.getByRole('button', { name: `Retirer ${KARIM.name}` });
    if ((await removeKarim.count()) > 0) {
      await removeKarim.click();
      await expect(page.getByText('La composition du profil a été modifiée')).toBeVisible();
      await ready(page);
    }

    // Someone outside the profile: « Page introuvable » (404), as for a dossier that does not exist.
    const claire = await personPage(browser, js, CLAIRE);
    await visit(claire, `/mon-compte/dossiers/${id}`, 404);
    await expect(claire.getByRole('heading', { level: 1, name: 'Page introuvable' })).toBeVisible();
    await screenshot(claire, 'dossier-fonds-7-introuvable');
    const karim = await personPage(browser, js, KARIM);
    await visit(karim, `/mon-compte/dossiers/${id}`, 404);
    await expect(karim.getByRole('heading', { level: 1, name: 'Page introuvable' })).toBeVisible();
    const pdf = await karim.request.get(`/mon-compte/dossiers/${id}/copie.pdf`);
    expect(pdf.status(), 'the PDF copy for a non-member').toBe(404);

    // Camille adds a share; Karim joins with its key.
    await page.getByRole('button', { name: 'Ajouter un partage' }).click();
    const keyBox = page.locator('.share-key code');
    await expect(keyBox).toBeVisible();
    const key = (await keyBox.textContent())!.trim();
    await visit(karim, '/mon-compte/profils');
    await ready(karim);
    await karim.getByRole('link', { name: 'Ajouter ou rejoindre un profil' }).click();
    const join = karim.getByRole('region', { name: 'Rejoindre un profil existant' });
    await join.getByRole('textbox', { name: 'Clé de partage' }).fill(key);
    await join.getByRole('textbox', { name: 'Votre fonction' }).fill(`Adjoint aux travaux (${project})`);
    await join.getByRole('button', { name: 'Envoyer' }).click();
    await expect(karim.getByText('Vous avez rejoint le profil')).toBeVisible();
    await expect(karim.getByRole('heading', { level: 1, name: 'Commune de Valbourg' })).toBeVisible();

    // Karim now sees the dossier in « Mes dossiers », and its page.
    await visit(karim, '/mon-compte/dossiers');
    const his = karim.getByRole('listitem').filter({
      has: karim.getByRole('link', { name: `Dossier ${number} — ${FONDS}`, exact: true }),
    });
    await expect(his).toHaveCount(1);
    await expect(his.getByRole('definition').filter({ hasText: VALBOURG })).toBeVisible();
    await screenshot(karim, 'dossier-fonds-8-mes-dossiers-karim');
    await visit(karim, `/mon-compte/dossiers/${id}`);
    await expect(karim.getByRole('heading', { level: 1, name: new RegExp(`^Dossier ${number}`) })).toBeVisible();
    await expect(karim.getByRole('definition').filter({ hasText: CAMILLE.name }).first()).toBeVisible();
    await expect(karim.getByRole('definition').filter({ hasText: intitule })).toBeVisible();
    await expectFiled(karim);
    await screenshot(karim, 'dossier-fonds-9-dossier-karim');

    // Back as it was: Camille removes Karim from the profile.
    await visit(page, `${profilePath}/composition`);
    await ready(page);
    await page.getByRole('button', { name: `Retirer ${KARIM.name}` }).click();
    await expect(page.getByText('La composition du profil a été modifiée')).toBeVisible();
    await expect(page.getByRole('table', { name: 'Membres du profil' }).getByRole('rowheader', { name: KARIM.name })).toHaveCount(0);
    await claire.context().close();
    await karim.context().close();
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
});
