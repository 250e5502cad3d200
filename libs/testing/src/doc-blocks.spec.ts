import { outputMismatch, runnableBlocks } from './doc-blocks';

describe('doc-test blocks', () => {
  const doc = [
    '# Title',
    '```sh',
    'not marked',
    '```',
    '1. A step:',
    '',
    '   ```sh runnable',
    '   curl -s $ADMIN',
    '     | jq .',
    '   ```',
    '',
    '   ```text output',
    '   {"a":...}',
    '   ```',
    '```sh runnable',
    'echo two',
    '```',
    'prose in between',
    '```text output',
    'not this block\'s output',
    '```',
  ].join('\n');

  it('finds the blocks marked runnable, strips list indentation and pairs an output block that follows', () => {
    expect(runnableBlocks(doc, 'x.md')).toEqual([
      { file: 'x.md', line: 7, code: 'curl -s $ADMIN\n  | jq .', expected: '{"a":...}' },
      { file: 'x.md', line: 15, code: 'echo two' },
    ]);
  });

  it('keeps the Docker variant (```sh docker runnable) apart from the process walkthrough', () => {
    const both = `${doc}\n\`\`\`sh docker runnable\ndocker ps\n\`\`\`\n\n\`\`\`text output\nCONTAINER\n\`\`\`\n`;
    expect(runnableBlocks(both, 'x.md').map((b) => b.code)).toEqual(['curl -s $ADMIN\n  | jq .', 'echo two']);
    expect(runnableBlocks(both, 'x.md', { docker: true })).toEqual([{ file: 'x.md', line: 22, code: 'docker ps', expected: 'CONTAINER' }]);
  });

  it('matches expected lines in order within output lines, `...` standing for any text', () => {
    const output = 'noise\n{"ids":["abc"],"active":"abc"}\n204\n';
    expect(outputMismatch('{"ids":["..."],"active":"..."}\n204', output)).toBeUndefined();
    expect(outputMismatch('204\n{"ids":[...]', output)).toMatch(/expected a line matching "\{\\"ids\\":\[\.\.\.\]"/);
    expect(outputMismatch('201', output)).toBeDefined();
    // Regular-expression characters in the docs are literal.
    expect(outputMismatch('$ke$2$-...', 'x $ke$2$-Ab12-ff')).toBeUndefined();
    expect(outputMismatch('a.c', 'abc')).toBeDefined();
  });
});
