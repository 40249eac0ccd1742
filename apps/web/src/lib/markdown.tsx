// A small markdown renderer for run notes: paragraphs, headings, lists, code, emphasis and links.
// It builds React elements (never HTML strings), so notes cannot inject markup.
import { Fragment, type ReactNode } from 'react';

export function Markdown({ text }: { text: string }) {
  return <div className="markdown">{renderBlocks(text)}</div>;
}

function renderBlocks(text: string): ReactNode[] {
  const blocks: ReactNode[] = [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith('```')) {
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) code.push(lines[i]!);
      i++;
      blocks.push(<pre key={blocks.length}>{code.join('\n')}</pre>);
      continue;
    }
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    if (heading) {
      const level = heading[1]!.length;
      const content = renderInline(heading[2]!);
      blocks.push(
        level === 1 ? <h3 key={blocks.length}>{content}</h3> : level === 2 ? <h4 key={blocks.length}>{content}</h4> : <h5 key={blocks.length}>{content}</h5>,
      );
      i++;
      continue;
    }
    if (/^\s*[-*]\s+/.test(line)) {
      const items: ReactNode[] = [];
      for (; i < lines.length && /^\s*[-*]\s+/.test(lines[i]!); i++) {
        items.push(<li key={items.length}>{renderInline(lines[i]!.replace(/^\s*[-*]\s+/, ''))}</li>);
      }
      blocks.push(<ul key={blocks.length}>{items}</ul>);
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    const paragraph: string[] = [];
    for (; i < lines.length && lines[i]!.trim() !== '' && !/^(#{1,3}\s|```|\s*[-*]\s)/.test(lines[i]!); i++) paragraph.push(lines[i]!);
    blocks.push(<p key={blocks.length}>{renderInline(paragraph.join(' '))}</p>);
  }
  return blocks;
}

const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*]+\*|_[^_]+_)|(\[[^\]]+\]\([^)\s]+\))/g;

function renderInline(text: string): ReactNode[] {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    const token = match[0];
    const key = parts.length;
    if (match[1]) parts.push(<code key={key}>{token.slice(1, -1)}</code>);
    else if (match[2]) parts.push(<strong key={key}>{token.slice(2, -2)}</strong>);
    else if (match[3]) parts.push(<em key={key}>{token.slice(1, -1)}</em>);
    else {
      const link = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(token)!;
      const href = link[2]!;
      // Only web and relative links: a javascript: URL in a note must not become clickable.
      parts.push(
        /^(https?:\/\/|\/)/.test(href) ? (
          <a key={key} href={href} rel="noopener noreferrer">
            {link[1]}
          </a>
        ) : (
          <Fragment key={key}>{token}</Fragment>
        ),
      );
    }
    last = match.index + token.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}
