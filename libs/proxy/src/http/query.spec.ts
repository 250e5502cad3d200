import { queryValue, withoutQueryParam } from './query';

describe('query parameters as kong.request.get_query() sees them', () => {
  it('tells a value, repeated values and a bare flag apart', () => {
    expect(queryValue('apikey=abc&x=1', 'apikey')).toBe('abc');
    expect(queryValue('apikey=a&apikey=b', 'apikey')).toEqual(['a', 'b']);
    expect(queryValue('apikey', 'apikey')).toBe(true);
    expect(queryValue('apikey=', 'apikey')).toBe('');
    expect(queryValue('api%6Bey=a%20b+c', 'apikey')).toBe('a b c');
    expect(queryValue('', 'apikey')).toBeUndefined();
  });

  it('removes one parameter and keeps the others as sent', () => {
    expect(withoutQueryParam('a=1&apikey=s&b=%2F', 'apikey')).toBe('a=1&b=%2F');
    expect(withoutQueryParam('apikey=s', 'apikey')).toBe('');
  });
});
