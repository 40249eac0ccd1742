import { describe, expect, it } from 'vitest';
import { safeNextPath } from './safe-next-path';

describe('safeNextPath', () => {
  it('#7 refuses a next= that leaves the origin, however it is spelled', () => {
    for (const next of [
      decodeURIComponent('%2F%5Cevil.example%2F'), // /\evil.example/
      decodeURIComponent('%2F%09%2Fevil.example%2F'), // /<tab>/evil.example/
      '/\r\n/evil.example/',
      '//evil.example',
      '///evil.example',
      '/\\/evil.example',
      'https://evil.example',
      'http:evil.example',
      'javascript:alert(1)',
      // Paths that only become protocol-relative once normalised.
      '/.//evil.example/',
      '/a/..//evil.example',
      '/%2e//evil.example',
      'evil.example',
      ' /projects',
    ]) {
      expect(safeNextPath(next), JSON.stringify(next)).toBe('/projects');
    }
    expect(safeNextPath(undefined)).toBe('/projects');
    expect(safeNextPath('')).toBe('/projects');
    expect(safeNextPath(['/a', '/b'])).toBe('/projects');
  });

  it('#7 keeps a path on this site with its query and fragment', () => {
    expect(safeNextPath('/projects/x?y=1#z')).toBe('/projects/x?y=1#z');
    expect(safeNextPath('/runs/abc')).toBe('/runs/abc');
    // Dot segments resolve within the site.
    expect(safeNextPath('/a/../projects')).toBe('/projects');
  });
});
