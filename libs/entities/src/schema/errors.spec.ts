import { luaPretty } from './errors';

describe('luaPretty', () => {
  it("writes keys the way Kong's messages show them", () => {
    expect(luaPretty({ id: 'abc' })).toBe('{id="abc"}');
    expect(luaPretty({ service: null, name: 'rewriter', route: null, consumer: { id: 'u' } })).toBe(
      '{consumer={id="u"},name="rewriter",route=null,service=null}',
    );
    expect(luaPretty({ username: 'a"b' })).toBe('{username="a\\"b"}');
  });
});
