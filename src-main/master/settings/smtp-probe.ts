// Tries a mail server before the desktop app saves it (issue 8, Settings: SMTP checked live): connect, greet, log in
// when the URL carries a user, then quit; nothing is sent. A deadline keeps a silent server from holding the page.
import nodemailer from 'nodemailer';

const PROBE_TIMEOUT_MS = 5_000;

/** What the server accepted when the URL works; otherwise throws nodemailer's error (its message says why). */
export async function probeSmtp(url: string): Promise<string> {
  const transport = nodemailer.createTransport({
    url, connectionTimeout: PROBE_TIMEOUT_MS, greetingTimeout: PROBE_TIMEOUT_MS, socketTimeout: PROBE_TIMEOUT_MS,
  });
  try {
    await transport.verify();
    return new URL(url).username ? 'the mail server accepted the login' : 'the mail server answered';
  } finally {
    transport.close();
  }
}
