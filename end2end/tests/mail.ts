// Reads the emails the portal really sent: the e2e server writes every email as an .eml
// file in its outbox folder (GUICHET_E2E_OUTBOX), exactly as it would hand it to SMTP.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';

export type Mail = { to: string; subject: string; text: string; html: string; file: string };

const outbox = process.env.GUICHET_E2E_OUTBOX ?? '';

async function readAll(): Promise<Mail[]> {
  if (!outbox) throw new Error('GUICHET_E2E_OUTBOX is not set: the test script sets it to the server outbox');
  let names: string[];
  try {
    names = (await readdir(outbox)).filter((n) => n.endsWith('.eml'));
  } catch {
    return [];
  }
  const withTimes = await Promise.all(
    names.map(async (n) => ({ n, t: (await stat(path.join(outbox, n))).mtimeMs })),
  );
  withTimes.sort((a, b) => a.t - b.t);
  const mails: Mail[] = [];
  for (const { n } of withTimes) {
    const file = path.join(outbox, n);
    const parsed = await simpleParser(await readFile(file));
    const to = Array.isArray(parsed.to) ? parsed.to.map((t) => t.text).join(', ') : (parsed.to?.text ?? '');
    mails.push({ to, subject: parsed.subject ?? '', text: parsed.text ?? '', html: String(parsed.html || ''), file });
  }
  return mails;
}

/** Waits (up to 15 s) for the `count`-th email sent to `to` and returns them all, oldest first. */
export async function mailsTo(to: string, count = 1): Promise<Mail[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const mails = (await readAll()).filter((m) => m.to.toLowerCase().includes(to.toLowerCase()));
    if (mails.length >= count) return mails;
    if (Date.now() > deadline) throw new Error(`expected ${count} email(s) to ${to}, found ${mails.length}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The first link of an email whose address contains `part` (e.g. "jeton="), as a path. */
export function linkIn(mail: Mail, part: string): string {
  const match = mail.text.match(/https?:\/\/[^\s>]+/g)?.find((u) => u.includes(part));
  if (!match) throw new Error(`no link with ${part} in "${mail.subject}":\n${mail.text}`);
  const url = new URL(match);
  return url.pathname + url.search;
}

/** An address no other test uses. */
export function uniqueEmail(prefix: string, project: string): string {
  return `${prefix}.${project}.${Date.now()}.${Math.floor(Math.random() * 1e6)}@exemple.fr`;
}
