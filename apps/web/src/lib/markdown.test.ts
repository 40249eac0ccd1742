import { renderToStaticMarkup } from 'react-dom/server';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { Markdown } from './markdown';

const render = (text: string) => renderToStaticMarkup(createElement(Markdown, { text }));

describe('notes markdown', () => {
  it('renders headings, lists, emphasis, code and links', () => {
    expect(render('# Result\n\n- **lr** 0.02\n- `bs` 32\n\nSee [docs](https://example.com) and *this*.')).toBe(
      '<div class="markdown"><h3>Result</h3><ul><li><strong>lr</strong> 0.02</li><li><code>bs</code> 32</li></ul>' +
        '<p>See <a href="https://example.com" rel="noopener noreferrer">docs</a> and <em>this</em>.</p></div>',
    );
  });

  it('never turns notes into markup or script links', () => {
    const html = render('<img src=x onerror=alert(1)> [x](javascript:alert(1))');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('href="javascript');
  });
});
