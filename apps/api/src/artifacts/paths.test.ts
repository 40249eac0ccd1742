import { describe, expect, it } from 'vitest';
import { ArtifactPathError, artifactSegments, artifactSegmentsFromUrl, checkSegments } from './paths';

const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ArtifactPathError);
    return (error as Error).message;
  }
  throw new Error('expected the path to be refused');
};

describe('artifact paths as text', () => {
  it('accepts plain relative paths, nested, with spaces, dots inside names and unicode', () => {
    expect(artifactSegments('model.bin')).toEqual(['model.bin']);
    expect(artifactSegments('model/tfjs/weights.bin')).toEqual(['model', 'tfjs', 'weights.bin']);
    expect(artifactSegments('plots/loss curve.png')).toEqual(['plots', 'loss curve.png']);
    expect(artifactSegments('.hidden/..a/a..b/...')).toEqual(['.hidden', '..a', 'a..b', '...']);
    expect(artifactSegments('résultats/数据.csv')).toEqual(['résultats', '数据.csv']);
    expect(artifactSegments('', { allowEmpty: true })).toEqual([]);
  });

  it.each([
    ['..', '".." segments are not allowed'],
    ['../etc/passwd', '".." segments are not allowed'],
    ['a/../../b', '".." segments are not allowed'],
    ['a/..', '".." segments are not allowed'],
    ['./a', '"." segments are not allowed'],
    ['/etc/passwd', 'absolute paths are not allowed'],
    ['a\\..\\..\\b', 'backslashes are not allowed'],
    ['..\\b', 'backslashes are not allowed'],
    ['a\0b', 'NUL characters are not allowed'],
    ['a//b', 'empty segments'],
    ['a/', 'empty segments'],
    ['', 'the path is empty'],
    ['%2e%2e/x', 'percent-encoded twice'],
    ['%2E%2E', 'percent-encoded twice'],
    ['C:/Windows', 'Windows drive names'],
    ['a/'.repeat(70) + 'b', 'levels deep'],
    ['x'.repeat(256), 'longer than 255 bytes'],
  ])('refuses %j: %s', (path, reason) => {
    expect(refusal(() => artifactSegments(path))).toContain(reason);
  });
});

describe('artifact paths from a URL (decoded once, segment by segment)', () => {
  it('decodes each segment once', () => {
    expect(artifactSegmentsFromUrl('plots/loss%20curve.png')).toEqual(['plots', 'loss curve.png']);
    expect(artifactSegmentsFromUrl('a%2Bb/%E6%95%B0.csv')).toEqual(['a+b', '数.csv']);
  });

  it.each([
    ['..', '".." segments'],
    ['%2e%2e', '".." segments'],
    ['%2E%2E/%2e%2e/etc/passwd', '".." segments'],
    ['.%2e/x', '".." segments'],
    ['%2e', '"." segments'],
    ['%252e%252e/x', 'percent-encoded twice'],
    ['%25%32%65%25%32%65', 'percent-encoded twice'],
    ['..%2f..%2fetc', 'an encoded "/"'],
    ['a%2Fb', 'an encoded "/"'],
    ['%2fetc%2fpasswd', 'an encoded "/"'],
    ['..%5c..%5cx', 'backslashes'],
    ['a%5Cb', 'backslashes'],
    ['a%00b', 'NUL characters'],
    ['/etc/passwd', 'absolute paths'],
    ['a//b', 'empty segments'],
    ['a/%', 'malformed percent-encoding'],
    ['%E6%95', 'malformed percent-encoding'],
  ])('refuses %j: %s', (path, reason) => {
    expect(refusal(() => artifactSegmentsFromUrl(path))).toContain(reason);
  });
});

describe('checkSegments (what the store re-checks)', () => {
  it('refuses segments that hold separators or traversal', () => {
    expect(refusal(() => checkSegments(['a', '..']))).toContain('".." segments');
    expect(refusal(() => checkSegments(['a/b']))).toContain('an encoded "/"');
    expect(refusal(() => checkSegments(['']))).toContain('empty segments');
    expect(() => checkSegments(['a', 'b.txt'])).not.toThrow();
  });
});
