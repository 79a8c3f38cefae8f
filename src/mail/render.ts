/**
 * A mail's content as a few block kinds, rendered twice: plain text and HTML. Templates build
 * blocks from parameters; only the renderers know about escaping, so a partner named
 * `<script>` stays text in every mail.
 */
export type Block =
  | { kind: 'p'; text: string }
  | { kind: 'link'; label: string; href: string }
  | { kind: 'list'; title: string; items: string[] }
  | { kind: 'facts'; rows: [label: string, value: string][] };

export const p = (text: string): Block => ({ kind: 'p', text });
export const link = (label: string, href: string): Block => ({ kind: 'link', label, href });
export const list = (title: string, items: string[]): Block => ({ kind: 'list', title, items });
export const facts = (...rows: [string, string][]): Block => ({ kind: 'facts', rows });

/** What a language's template returns. */
export interface MailContent {
  subject: string;
  /** Defaults to the language's generic greeting. */
  greeting?: string;
  blocks: Block[];
}

/** The language-wide parts around every mail. */
export interface MailFrame {
  /** BCP 47 tag for dates and the HTML `lang`. */
  locale: string;
  greeting: string;
  signoff: string[];
  footer: string;
  /** What separates a label from its value: ':' in most languages, ' :' in French. */
  colon: string;
  /** The catalog's APIs by code in this language; an API the vendor added keeps the catalog's name. */
  apiNames: Record<string, string>;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and attribute values. */
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** Subjects are one header line: no CR/LF may reach it from a parameter. */
const oneLine = (value: string): string => value.replace(/[\r\n\t]+/g, ' ').trim();

/** Only absolute http(s) links become anchors; anything else is shown as text. */
const safeHref = (href: string): string | undefined => {
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
};

export function renderMail(content: MailContent, frame: MailFrame): RenderedMail {
  const greeting = content.greeting ?? frame.greeting;
  return {
    subject: oneLine(content.subject),
    text: renderText(greeting, content.blocks, frame),
    html: renderHtml(greeting, content.blocks, frame),
  };
}

function renderText(greeting: string, blocks: Block[], frame: MailFrame): string {
  const parts = [greeting];
  for (const block of blocks) {
    switch (block.kind) {
      case 'p':
        parts.push(block.text);
        break;
      case 'link':
        parts.push(`${block.label}${frame.colon}\n${block.href}`);
        break;
      case 'list':
        parts.push([block.title, ...block.items.map((i) => `- ${i}`)].join('\n'));
        break;
      case 'facts':
        parts.push(block.rows.map(([label, value]) => `${label}${frame.colon} ${value}`).join('\n'));
        break;
    }
  }
  parts.push(frame.signoff.join('\n'), `-- \n${frame.footer}`);
  return `${parts.join('\n\n')}\n`;
}

function renderHtml(greeting: string, blocks: Block[], frame: MailFrame): string {
  const body: string[] = [`<p>${escapeHtml(greeting)}</p>`];
  for (const block of blocks) {
    switch (block.kind) {
      case 'p':
        body.push(`<p>${escapeHtml(block.text)}</p>`);
        break;
      case 'link': {
        const href = safeHref(block.href);
        body.push(
          href
            ? `<p><a href="${escapeHtml(href)}">${escapeHtml(block.label)}</a><br><span style="color:#555;font-size:90%">${escapeHtml(href)}</span></p>`
            : `<p>${escapeHtml(block.label + frame.colon)} ${escapeHtml(block.href)}</p>`,
        );
        break;
      }
      case 'list':
        body.push(`<p>${escapeHtml(block.title)}</p>`, `<ul>${block.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`);
        break;
      case 'facts':
        body.push(
          `<table cellpadding="4" style="border-collapse:collapse">${block.rows
            .map(([label, value]) => `<tr><th align="left" valign="top">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`)
            .join('')}</table>`,
        );
        break;
    }
  }
  body.push(`<p>${frame.signoff.map(escapeHtml).join('<br>')}</p>`, `<hr><p style="color:#777;font-size:85%">${escapeHtml(frame.footer)}</p>`);
  return `<!doctype html>\n<html lang="${escapeHtml(frame.locale)}"><head><meta charset="utf-8"></head><body style="font-family:sans-serif;line-height:1.5">\n${body.join('\n')}\n</body></html>\n`;
}

/** Absolute http(s) links in a mail (its text body), in order, without duplicates. */
export function extractLinks(text: string): string[] {
  const found = text.match(/https?:\/\/[^\s<>"'`]+/g) ?? [];
  return [...new Set(found.map((u) => u.replace(/[.,;:!?)\]]+$/, '')))];
}
