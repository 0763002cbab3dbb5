// Helpers shared by the specs that file dossiers and instruct them (dossiers.spec.ts,
// backoffice.spec.ts): the demo accounts, files made at run time, signing in (with the
// second factor of staff accounts, its TOTP code computed here), the form's pages, and a
// whole permis dossier filed with its required answers (`filePermis`).
import { expect, hydrated, isJsDisabled, checkA11y, screenshot, visit } from './fixtures';
import type { Browser, Locator, Page, TestInfo } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { mailsTo, type Mail } from './mail';

// ---------------------------------------------------------------- demo accounts

export type Person = { email: string; password: string; name: string };
/** Where a staff sign-in lands once the code is accepted: the address and the page's h1. */
export type StaffLanding = { url: RegExp; heading: string | RegExp };
/** The instructors' landing: « Instruction ». */
export const INSTRUCTION_LANDING: StaffLanding = { url: /\/instruction$/, heading: 'Instruction' };
/** `landing`: where this account lands after the second factor (« Instruction » when not said). */
export type Staff = Person & { totpSecret: string; landing?: StaffLanding };

// Citizens (seeded by the test server, see src/server/seed.rs).
export const CAMILLE: Person = { email: 'usager@vallee-verte.example', password: 'Usager-Demo-2026', name: 'Camille Martin' };
export const THOMAS: Person = { email: 'voisin@vallee-verte.example', password: 'Usager-Demo-2026', name: 'Thomas Petit' };
export const INES: Person = { email: 'benevole@vallee-verte.example', password: 'Usager-Demo-2026', name: 'Inès Moreau' };

// Instructors of « Service des aides individuelles » (the permis démarche), with the TOTP
// secrets of the demo data (DEMO_TOTP).
export const KARIM: Staff = {
  email: 'instructeur@vallee-verte.example',
  password: 'Instruction-Demo-2026',
  name: 'Karim Benali',
  totpSecret: 'KARIMBENALIGUICHETDEMOINSTRUCTEU',
};
export const LEA: Staff = {
  email: 'instructrice@vallee-verte.example',
  password: 'Instruction-Demo-2026',
  name: 'Léa Garnier',
  totpSecret: 'LEAGARNIERGUICHETDEMOINSTRUCTRIC',
};
// The administrator (role admin, which includes instructor), with her TOTP secret of DEMO_TOTP.
// A staff sign-in goes to « Instruction » unless a page was asked for; the administration's own
// home (« Administration ») is accepted too, should administrators be sent there.
export const CLAIRE: Staff = {
  email: 'admin@vallee-verte.example',
  password: 'Administration-Demo-2026',
  name: 'Claire Rousseau',
  totpSecret: 'CLAIREROUSSEAUGUICHETDEMOADMINIS',
  landing: { url: /\/(instruction|admin)$/, heading: /^(Instruction|Administration)$/ },
};

export const PERMIS = 'Aide au permis de conduire pour les jeunes';
export const FONDS = 'Fonds d’aide à l’investissement des communes';
export const PERSONAL = `${CAMILLE.name} (particulier)`;
export const VALBOURG = 'Commune de Valbourg (collectivité)';

// ---------------------------------------------------------------- TOTP (RFC 6238)

const TOTP_STEP = 30;

function base32Decode(input: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = input.toUpperCase().replace(/[\s=]/g, '');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = alphabet.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The 6-digit code of time step `step` (RFC 4226 HOTP of the step, HMAC-SHA1). */
export function totpAt(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const hmac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = hmac[hmac.length - 1] & 0x0f;
  const binary = (hmac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(binary).padStart(6, '0');
}

export function currentStep(): number {
  return Math.floor(Date.now() / 1000 / TOTP_STEP);
}

/** Where the last step used by each account is noted, so that a run right after another
 * (or a second sign-in in the same test) waits for the next step: the server accepts a
 * code once per step and account, and counts refused codes towards a lock. */
function stepFile(email: string): string {
  const dir = path.join(tmpdir(), 'guichet-e2e-totp');
  mkdirSync(dir, { recursive: true });
  // One file per server too: the two projects run side by side against two servers,
  // each of which accepts a step once for its own copy of the account.
  const server = new URL(process.env.GUICHET_E2E_BASE_URL || 'http://127.0.0.1:3000').host;
  return path.join(dir, `${server}-${email}`.replace(/[^a-z0-9.@-]/gi, '_'));
}

/** A code no sign-in of this account used yet: the current step's, or, when that step
 * was used (or is about to end), the next step's once it starts. Notes the step as used. */
export async function freshTotp(who: Staff): Promise<string> {
  const file = stepFile(who.email);
  const last = existsSync(file) ? Number(readFileSync(file, 'utf8')) : -1;
  for (;;) {
    const now = Date.now() / 1000;
    const step = Math.floor(now / TOTP_STEP);
    const left = (step + 1) * TOTP_STEP - now;
    // A code typed in the last seconds of its step still passes (the server allows one
    // step of drift), but then the next step cannot be used by a sign-in right after.
    if (step > last && left > 3) {
      writeFileSync(file, String(step));
      return totpAt(who.totpSecret, step);
    }
    await new Promise((r) => setTimeout(r, Math.max(200, left * 1000 + 200)));
  }
}

// ---------------------------------------------------------------- files made at run time

/** A PDF 1.7 file of one page showing `text`, with a cross-reference table whose offsets are right
 * (the same construction as `sample_pdf()` in src/server/uploads/sniff.rs). */
export function samplePdf(text: string): Buffer {
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
export function samplePng(): Buffer {
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.from([0, 0x1f, 0x5f, 0xbf]))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A web page, to be sent under a PDF's name. */
export const HTML_PAGE = Buffer.from(
  '<!DOCTYPE html>\n<html lang="fr"><head><title>Pièce</title></head><body><script>alert("x")</script></body></html>\n',
);

/** The start of a Windows program (MZ header and DOS stub), to be sent under a PDF's name. */
export function sampleProgram(): Buffer {
  const bytes = Buffer.alloc(256);
  bytes.write('MZ', 0, 'latin1');
  bytes.writeUInt32LE(0x80, 0x3c);
  bytes.write('This program cannot be run in DOS mode.\r\r\n$', 0x4e, 'latin1');
  bytes.write('PE\0\0', 0x80, 'latin1');
  return bytes;
}

export const pdfFile = (name: string, text = 'Justificatif de test') => ({ name, mimeType: 'application/pdf', buffer: samplePdf(text) });
export const pngFile = (name: string) => ({ name, mimeType: 'image/png', buffer: samplePng() });

// ---------------------------------------------------------------- signing in

export async function ready(page: Page) {
  if (!isJsDisabled(page)) await hydrated(page);
}

async function passwordStep(page: Page, who: Person) {
  await page.goto('/connexion');
  await ready(page);
  await page.getByLabel('Identifiant (adresse électronique)').fill(who.email);
  await page.getByLabel('Mot de passe', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Connecter' }).click();
}

/** A citizen's sign-in: « Connexion » → « Mon compte ». */
export async function signIn(page: Page, who: Person) {
  await passwordStep(page, who);
  await expect(page).toHaveURL(/\/mon-compte$/);
  await ready(page);
}

/** A staff sign-in: the password, then « Vérification en deux étapes » with a TOTP code
 * computed here → « Instruction » (or the account's `landing`, or `options.landing`). With
 * `a11y`, the code page is checked with axe. */
export async function signInStaff(
  page: Page,
  who: Staff,
  options: { a11y?: boolean; shot?: string; landing?: StaffLanding } = {},
) {
  const landing = options.landing ?? who.landing ?? INSTRUCTION_LANDING;
  await passwordStep(page, who);
  await expect(page).toHaveURL(/\/connexion\/code$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Vérification en deux étapes' })).toBeVisible();
  await ready(page);
  if (options.a11y) await checkA11y(page);
  if (options.shot) await screenshot(page, options.shot);
  const code = await freshTotp(who);
  await page.getByRole('textbox', { name: 'Code de vérification' }).fill(code);
  await expect(page.getByRole('checkbox', { name: 'Faire confiance à cet appareil pendant 30 jours' })).not.toBeChecked();
  await page.getByRole('button', { name: 'Valider' }).click();
  await expect(page).toHaveURL(landing.url);
  await expect(page.getByRole('heading', { level: 1, name: landing.heading })).toBeVisible();
  await ready(page);
}

/** A new browser context (same JavaScript setting) with `who` signed in. */
export async function personPage(browser: Browser, js: boolean, who: Person | Staff): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: js, locale: 'fr-FR' });
  const page = await context.newPage();
  if ('totpSecret' in who) await signInStaff(page, who);
  else await signIn(page, who);
  return page;
}

// ---------------------------------------------------------------- the form's pages

/** The form's « Page suivante » (not the hidden default button that Enter presses). */
export function nextButton(page: Page): Locator {
  return page.locator('.form-navigation').getByRole('button', { name: 'Page suivante', exact: true });
}

/** Waits for the form page titled `title` (its h1) at step `step`. */
export async function expectFormPage(page: Page, id: number, title: string, step: number) {
  await expect(page).toHaveURL(new RegExp(`/dossiers/${id}/etape/\\d+(\\?.*)?(#.*)?$`));
  await expect(page.getByRole('heading', { level: 1, name: title, exact: true })).toBeVisible();
  await expect(page.locator('.stepper-count')).toHaveText(new RegExp(`^Étape ${step} sur \\d+$`));
  await ready(page);
}

export async function goNext(page: Page) {
  await nextButton(page).click();
}

/** On « Commencer la démarche »: picks `profile` (radio when several fit, or the only one stated), starts, returns the draft's id. */
export async function startFor(page: Page, profile: string, shot: string): Promise<number> {
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
export function attachment(page: Page, label: string) {
  const group = page.getByRole('group', { name: label, exact: true });
  return {
    group,
    input: page.getByLabel(`Fichier pour « ${label} »`, { exact: true }),
    button: group.getByRole('button', { name: 'Joindre un fichier' }),
    file: (name: string) => group.getByRole('link', { name, exact: true }),
  };
}

/** Chooses `files` for the attachment question `label` and presses its « Joindre un fichier »
 * (with JavaScript, the client sends the file by XMLHttpRequest and shows the list again). */
export async function attach(page: Page, label: string, files: Parameters<Locator['setInputFiles']>[0]) {
  const field = attachment(page, label);
  await field.input.setInputFiles(files);
  await field.button.click();
}

/** The receipt of dossier `number`, sent to `to`. */
export async function receipt(to: string, number: string): Promise<Mail> {
  return mailWithSubject(to, `Accusé de réception : dossier ${number}`);
}

/** The email to `to` whose subject is (or, for a RegExp, matches) `subject`. */
export async function mailWithSubject(to: string, subject: string | RegExp): Promise<Mail> {
  const matches = (s: string) => (typeof subject === 'string' ? s === subject : subject.test(s));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = (await mailsTo(to, 1).catch(() => [] as Mail[])).filter((m) => matches(m.subject)).pop();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no email « ${subject} » to ${to} in ${process.env.GUICHET_E2E_OUTBOX}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** « Vérifiez vos réponses » → « Transmettre »; returns the dossier's number. */
export async function transmit(page: Page, id: number): Promise<string> {
  await ready(page);
  await page.getByRole('button', { name: 'Transmettre', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/mon-compte/dossiers/${id}\\?message=dossier-transmis$`));
  await expect(page.getByText('Votre dossier est transmis. Un accusé de réception vous a été envoyé par courriel.')).toBeVisible();
  const h1 = page.getByRole('heading', { level: 1 });
  await expect(h1).toHaveText(/^Dossier \d{4}-\d{6}\s/);
  return (await h1.textContent())!.match(/\d{4}-\d{6}/)![0];
}

/** Text of a PDF by pdftotext when the machine has it; null otherwise. */
export function pdfText(file: string): string | null {
  if (!existsSync('/usr/bin/pdftotext')) return null;
  return execFileSync('/usr/bin/pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
}

/** Saves the download started by clicking `link` and returns its bytes. */
export async function download(page: Page, testInfo: TestInfo, link: Locator, name: string): Promise<{ file: string; bytes: Buffer; suggested: string }> {
  await ready(page);
  const [started] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const file = testInfo.outputPath(name);
  await started.saveAs(file);
  return { file, bytes: readFileSync(file), suggested: started.suggestedFilename() };
}

// ---------------------------------------------------------------- any démarche (admin.spec.ts)

/** The name of `who`'s personal profile, as the start page and the dossiers show it. */
export function personalProfile(who: Person): string {
  return `${who.name} (particulier)`;
}

/** Like `startFor`, for the démarche at `/demarches/{slug}` whatever its slug (digits included):
 * on « Commencer la démarche », picks `profile`, starts, returns the draft's id. */
export async function startForSlug(page: Page, slug: string, profile: string, shot?: string): Promise<number> {
  const escaped = slug.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await expect(page).toHaveURL(new RegExp(`/demarches/${escaped}/commencer$`));
  const start = page.getByRole('button', { name: 'Commencer la démarche' });
  await expect(start).toBeVisible();
  await ready(page);
  const choice = page.getByRole('group', { name: 'Pour qui déposez-vous cette demande ?' });
  if ((await choice.count()) > 0) {
    await choice.getByRole('radio', { name: profile, exact: true }).check();
  } else {
    await expect(page.getByText('Vous déposez cette demande en tant que :')).toContainText(profile);
  }
  if (shot) {
    await checkA11y(page);
    await screenshot(page, shot);
  }
  await start.click();
  await expect(page).toHaveURL(/\/dossiers\/\d+\/etape\/1$/);
  return Number(new URL(page.url()).pathname.split('/')[2]);
}

// ---------------------------------------------------------------- a whole dossier

/** Page 2 « L’auto-école » of the permis démarche: every answer, a quote of 1,250 €. */
export async function fillDrivingSchool(page: Page, name: string, street: string) {
  await page.getByRole('textbox', { name: 'Nom de l’auto-école' }).fill(name);
  const address = page.getByRole('group', { name: 'Adresse de l’auto-école' });
  await address.getByRole('textbox', { name: 'Numéro et voie' }).fill(street);
  await address.getByRole('textbox', { name: 'Code postal' }).fill('00100');
  await address.getByRole('textbox', { name: 'Commune' }).fill('Valbourg');
  await page.getByRole('textbox', { name: 'Montant du devis (en €)' }).fill('1250');
  await page
    .getByRole('group', { name: 'Avez-vous déjà été inscrit dans une auto-école pour préparer le permis B ?' })
    .getByRole('radio', { name: 'Non' })
    .check();
}

/** `who` files « Aide au permis de conduire pour les jeunes » for themselves with the
 * required answers only (the young person's name is `nom`) and three attachments, from
 * « Commencer la démarche » to « Transmettre », and gets the receipt; returns the dossier's
 * id and number. */
export async function filePermis(page: Page, who: Person, nom: string, shot: string): Promise<{ id: number; number: string }> {
  const stamp = Date.now();
  await visit(page, '/demarches/aide-permis-de-conduire/commencer');
  const id = await startFor(page, personalProfile(who), shot);

  await expectFormPage(page, id, 'Le jeune', 1);
  await page.getByRole('textbox', { name: 'Nom', exact: true }).fill(nom);
  await page.getByRole('textbox', { name: 'Prénom', exact: true }).fill('Lucas');
  await page.getByLabel('Date de naissance', { exact: true }).fill('2008-05-20');
  await page.getByRole('textbox', { name: 'Adresse électronique du jeune' }).fill(`lucas.${stamp}@exemple.fr`);
  await goNext(page);

  await expectFormPage(page, id, 'L’auto-école', 2);
  await fillDrivingSchool(page, 'Auto-école des Tilleuls', '2 place du Marché');
  await goNext(page);

  await expectFormPage(page, id, 'Pièces justificatives', 3);
  await attach(page, 'Pièce d’identité du jeune', pdfFile('identite.pdf', 'Carte nationale d identite'));
  await expect(attachment(page, 'Pièce d’identité du jeune').file('identite.pdf')).toBeVisible();
  await ready(page);
  await attach(page, 'Justificatif de domicile de moins de trois mois', pngFile('domicile.png'));
  await expect(attachment(page, 'Justificatif de domicile de moins de trois mois').file('domicile.png')).toBeVisible();
  await ready(page);
  await attach(page, 'Devis de l’auto-école', pdfFile('devis.pdf', 'Devis non signe'));
  await expect(attachment(page, 'Devis de l’auto-école').file('devis.pdf')).toBeVisible();
  await ready(page);
  await goNext(page);

  await expect(page).toHaveURL(new RegExp(`/dossiers/${id}/verification$`));
  await expect(page.getByRole('heading', { level: 1, name: 'Vérifiez vos réponses' })).toBeVisible();
  const number = await transmit(page, id);
  await expect(page.locator('.dossier-status .badge')).toHaveText('Déposé');
  await receipt(who.email, number);
  return { id, number };
}
