// A stored task carries what the master owns (id, timestamps, next fire); the strict TaskInput refuses those, so the
// console's edit form must send the definition alone (issue 7, finding 8).
import { describe, expect, it } from 'vitest';
import { Task, TaskInput, taskSpecOf } from '../../src-main/master/api/contract/domain';
import { draftFromTask, draftToSpec, emptyDraft, errorWithin } from '../../src-renderer/src/lib/task-draft';

const stored = Task.parse({
  ...TaskInput.parse({
    name: 'deploy', groupId: 'grp_1', handler: 'shell', trigger: { type: 'api' },
    params: { command: 'echo "$BATON_PARAM_REGION"', region: 'eu' }, triggerParams: { region: { type: 'string' } },
  }),
  id: 'tsk_1', createdAt: '2030-01-01T00:00:00.000Z', updatedAt: '2030-01-01T00:00:00.000Z', nextFireAt: null,
});

describe('taskSpecOf', () => {
  it('keeps the definition and drops what the master owns', () => {
    const spec = taskSpecOf(stored);
    expect(Object.keys(spec).sort()).toEqual(Object.keys(TaskInput.shape).sort());
    expect(TaskInput.safeParse(spec).success).toBe(true);
    expect(TaskInput.safeParse(stored).success).toBe(false);
  });
});

describe('the console', () => {
  it('edits a stored task into an input the strict schema takes, keeping its declared trigger params', () => {
    const built = draftToSpec({ ...draftFromTask(stored), name: 'deploy-2' }, stored);
    expect(built.ok).toBe(true);
    expect(built.ok && built.spec).toMatchObject({ name: 'deploy-2', triggerParams: { region: { type: 'string', required: false } } });
  });

  describe('declaring trigger params in the task form', () => {
    const draft = { ...emptyDraft('grp_1'), name: 'n', command: 'echo "$BATON_PARAM_REGION"' };

    it('sends what the box declares', () => {
      const built = draftToSpec({ ...draft, triggerParamsJson: '{ "region": { "type": "string", "maxLength": 32 } }' }, null);
      expect(built.ok && built.spec.triggerParams).toEqual({ region: { type: 'string', required: false, maxLength: 32 } });
    });

    it.each([
      ['not JSON', '{ region', /^not valid JSON/],
      ['a list', '["region"]', /must be a JSON object/],
      ['an unknown type', '{ "region": { "type": "text" } }', /^region\.type: /],
      ['a misspelt option', '{ "region": { "type": "string", "max": 3 } }', /^region: unknown field max \(did you mean maxLength\?\)/],
    ])('shows %s under the box', (_what, json, message) => {
      const built = draftToSpec({ ...draft, triggerParamsJson: json }, null);
      expect(built.ok).toBe(false);
      expect(!built.ok && errorWithin(built.errors, 'triggerParams')).toMatch(message);
    });

    it('declares none for handlers that take no extra params', () => {
      const built = draftToSpec({ ...draft, handler: 'http', paramsJson: '{ "url": "https://example.com" }', triggerParamsJson: '{ "x": { "type": "string" } }' }, null);
      expect(built.ok && built.spec.triggerParams).toEqual({});
    });
  });
});
