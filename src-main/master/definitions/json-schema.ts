// The JSON Schema of `baton/v1`, generated from the zod schema (zod 4's own output), so editors and CI can check a
// file before any master sees it. Committed as schemas/baton-v1.schema.json; `npm run schema` writes it again and
// a unit test fails when the committed copy is stale.
import { z } from 'zod';
import { DefinitionsFile, DEFINITIONS_FORMAT } from '../api/contract/definitions';

export const SCHEMA_FILE = 'schemas/baton-v1.schema.json';

export function definitionsJsonSchemaText(): string {
  // `input`: what a file may say, defaults left out, which is what an author writes.
  const schema = z.toJSONSchema(DefinitionsFile, { io: 'input', unrepresentable: 'any' });
  const described = {
    $schema: schema.$schema,
    title: `Baton task definitions (${DEFINITIONS_FORMAT})`,
    description: 'Groups and tasks keyed by name, as `baton-master export` writes them and `baton-master import` reads them.',
    ...schema,
  };
  return `${JSON.stringify(described, null, 2)}\n`;
}
