import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One message as the SMTP peer received it, decoded enough to assert on. */
export interface ReceivedMail {
  from: string;
  to: string[];
  headers: Map<string, string>;
  subject: string;
  messageId: string;
  text: string;
  html: string;
  raw: string;
}

/**
 * A real SMTP server on a random local port (the `smtp-server` package): it accepts everything,
 * except that DATA for a recipient in `refuse` is answered with a 452, like a full mailbox.
 */
export async function startSmtpPeer() {
  const received: ReceivedMail[] = [];
  const refused: string[] = [];
  const refuse = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        if (to.some((a) => refuse.has(a))) {
          refused.push(...to);
          callback(Object.assign(new Error('Mailbox is full, try again later'), { responseCode: 452 }));
          return;
        }
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        received.push(parseMessage(Buffer.concat(chunks).toString('utf8'), from, to));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    /** Recipients whose DATA was refused, once per attempt. */
    refused,
    refuse,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Decodes RFC 2047 encoded words (UTF-8, Q or B), joining adjacent ones before decoding. */
export function decodeHeader(value: string): string {
  const joined = value.replace(/\?=\s+=\?/g, '?==?');
  const out: string[] = [];
  let bytes: Buffer[] = [];
  const flush = () => {
    if (bytes.length) out.push(Buffer.concat(bytes).toString('utf8'));
    bytes = [];
  };
  let last = 0;
  for (const m of joined.matchAll(/=\?[^?]+\?([QqBb])\?([^?]*)\?=/g)) {
    if (m.index! > last) {
      flush();
      out.push(joined.slice(last, m.index));
    }
    const [, encoding, data] = m;
    bytes.push(
      encoding!.toUpperCase() === 'B'
        ? Buffer.from(data!, 'base64')
        : Buffer.from(
            data!.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          ),
    );
    last = m.index! + m[0].length;
  }
  flush();
  out.push(joined.slice(last));
  return out.join('');
}

function splitHeaders(raw: string): { headers: Map<string, string>; body: string } {
  const at = raw.indexOf('\r\n\r\n');
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable': {
      const soft = body.replace(/=\r?\n/g, '');
      const bytes = Buffer.from(
        soft.replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      );
      return bytes.toString('utf8');
    }
    default:
      return body;
  }
}

function parseMessage(raw: string, from: string, to: string[]): ReceivedMail {
  const { headers, body } = splitHeaders(raw);
  let text = '';
  let html = '';
  const visit = (hs: Map<string, string>, b: string) => {
    const type = hs.get('content-type') ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (/^multipart\//i.test(type) && boundary) {
      for (const part of b.split(`--${boundary}`).slice(1)) {
        if (part.startsWith('--')) break;
        const { headers: ph, body: pb } = splitHeaders(part.replace(/^\r\n/, ''));
        visit(ph, pb.replace(/\r\n$/, ''));
      }
      return;
    }
    const decoded = decodeBody(b, hs.get('content-transfer-encoding')).replace(/\r\n/g, '\n');
    if (/^text\/html/i.test(type)) html = decoded;
    else if (/^text\/plain/i.test(type)) text = decoded;
  };
  visit(headers, body);
  return {
    from,
    to,
    headers,
    subject: decodeHeader(headers.get('subject') ?? ''),
    messageId: headers.get('message-id') ?? '',
    text,
    html,
    raw,
  };
}
