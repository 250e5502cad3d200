import { EntityError } from '../schema/errors';
import { decodeOffset, encodeOffset, parseSize, parseTags } from './pagination';

describe('pagination options', () => {
  it('parses size with Kong’s errors', () => {
    expect(parseSize(undefined)).toBe(100);
    expect(parseSize('5')).toBe(5);
    expect(() => parseSize('x')).toThrow(new EntityError('INVALID_SIZE', 'size must be a number'));
    expect(() => parseSize('0')).toThrow('size must be an integer between 1 and 1000');
    expect(() => parseSize('1001')).toThrow('size must be an integer between 1 and 1000');
    expect(() => parseSize('2.5')).toThrow('size must be an integer between 1 and 1000');
  });

  it('round-trips offsets and rejects bad ones', () => {
    const id = '6375b5fd-9c95-4822-b2dd-80ffbccb7ec9';
    expect(decodeOffset(encodeOffset(id))).toBe(id);
    expect(() => decodeOffset('x')).toThrow("'x' is not a valid offset: bad base64 encoding");
    expect(() => decodeOffset(Buffer.from('{nope').toString('base64'))).toThrow('bad json encoding');
    // Valid base64 of valid JSON, but not an id: the query would fail on the uuid column.
    for (const value of [['abc'], ['\u0000'], [id, 'extra']]) {
      expect(() => decodeOffset(Buffer.from(JSON.stringify(value)).toString('base64'))).toThrow(
        new EntityError('INVALID_OFFSET', `'${Buffer.from(JSON.stringify(value)).toString('base64')}' is not a valid offset: not a primary key`),
      );
    }
  });

  it('reads tags=a,b as AND and tags=a/b as OR, and refuses a mix', () => {
    expect(parseTags('a,b')).toEqual({ mode: 'and', tags: ['a', 'b'] });
    expect(parseTags('a/b')).toEqual({ mode: 'or', tags: ['a', 'b'] });
    expect(parseTags('single')).toEqual({ mode: 'and', tags: ['single'] });
    expect(() => parseTags('a,b/c')).toThrow('invalid option (tags: invalid filter syntax)');
    expect(parseTags('corp_ a')).toEqual({ mode: 'and', tags: ['corp_ a'] });
    expect(() => parseTags('')).toThrow('invalid option (tags: cannot be null)');
    expect(() => parseTags('a,b,c,d,e,f')).toThrow('invalid option (tags: cannot query more than 5 tags)');
  });
});
