// Writes schemas/baton-v1.schema.json from the zod schema (`npm run schema`); test/unit/definitions.test.ts fails
// while the committed file differs from what this writes.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { definitionsJsonSchemaText, SCHEMA_FILE } = await import('../src-main/master/definitions/json-schema.ts');
const target = path.join(root, SCHEMA_FILE);
await fs.mkdir(path.dirname(target), { recursive: true });
await fs.writeFile(target, definitionsJsonSchemaText());
process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
