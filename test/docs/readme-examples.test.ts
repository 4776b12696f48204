/** The README's examples that name a file are that file, as it runs in this suite. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

it('the README’s "Testing your handlers" example is test/docs/testing-handlers.test.ts, which runs here', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Testing your handlers'), readme.indexOf('## Calling it'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block).toBe(readFileSync(join(root, 'test/docs/testing-handlers.test.ts'), 'utf8'));
});
