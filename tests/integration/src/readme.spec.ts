import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigReference } from '@keygate/config';
import { REPO_ROOT } from '@keygate/testing';

describe('README.md', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

  it('starts with the two commands of a fresh clone', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toMatch(/^npm start\b/m);
    expect(firstBlock).toMatch(/^npm test\b/m);
    expect(readme.indexOf('```sh')).toBeLessThan(40);
  });

  it('carries the configuration reference generated from the schema (npm run docs:config)', () => {
    expect(readme).toContain(renderConfigReference());
  });
});
