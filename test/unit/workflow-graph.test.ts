// The task page's workflow graph, the pure part (issue 10): which tasks belong to a task's workflow, and a layout where
// every arrow points right, columns follow the longest chain of parents, and a join reads its mode.
import { describe, expect, it } from 'vitest';
import type { Trigger } from '../../src-main/master/api/contract/domain';
import { joinLabel, layoutWorkflow, NODE, workflowOf, type GraphTask } from '../../src-renderer/src/lib/workflow-graph';

const api: Trigger = { type: 'api' };
const after = (parents: string[], over: Partial<Extract<Trigger, { type: 'parent' }>> = {}): Trigger =>
  ({ type: 'parent', parents, on: 'success', join: 'all_succeeded', ...over });
const task = (id: string, trigger: Trigger = api, state: NonNullable<GraphTask['lastRun']>['state'] | null = null): GraphTask =>
  ({ id, name: id.toUpperCase(), trigger, lastRun: state ? { state } : null });

// The diamond of the issue: A → B, A → C, B + C → D; E stands apart; F hangs off D on failure.
const DIAMOND = [
  task('a', api, 'succeeded'), task('b', after(['a']), 'succeeded'), task('c', after(['a']), 'failed'),
  task('d', after(['b', 'c'], { join: 'any_succeeded' }), 'running'), task('e'), task('f', after(['d'], { on: 'failure' })),
];
const layoutAt = (focus: string, tasks = DIAMOND) => {
  const flow = workflowOf(tasks, focus);
  return layoutWorkflow(flow.tasks, flow.links, focus);
};
const node = (layout: ReturnType<typeof layoutAt>, id: string) => layout.nodes.find((n) => n.id === id)!;

describe('workflowOf', () => {
  it('takes every task linked to the focus, upstream and downstream, and a join\'s other parents', () => {
    const flow = workflowOf(DIAMOND, 'b');
    expect(flow.tasks.map((t) => t.id).sort()).toEqual(['a', 'b', 'c', 'd', 'f']);
    expect(flow.links).toEqual([['a', 'b'], ['a', 'c'], ['b', 'd'], ['c', 'd'], ['d', 'f']]);
  });

  it('a task in no workflow is alone; an unknown focus gives nothing; links to tasks not listed are left out', () => {
    expect(workflowOf(DIAMOND, 'e')).toEqual({ tasks: [DIAMOND[4]], links: [] });
    expect(workflowOf(DIAMOND, 'zzz')).toEqual({ tasks: [], links: [] });
    expect(workflowOf([task('x', after(['archived'])), task('y', after(['x']))], 'y').links).toEqual([['x', 'y']]);
    const archived = { ...task('w'), archivedAt: '2030-01-01T00:00:00.000Z' };
    expect(workflowOf([archived, task('x', after(['w'])), task('y', after(['x']))], 'y').tasks.map((t) => t.id)).toEqual(['x', 'y']);
    expect(workflowOf([archived, task('x', after(['w']))], 'w').links).toEqual([['w', 'x']]); // its own page still draws
  });
});

describe('layoutWorkflow', () => {
  it('puts each task in the column of its longest chain of parents, so every arrow points right', () => {
    const layout = layoutAt('a');
    const column = (id: string) => (node(layout, id).x - NODE.pad) / (NODE.width + NODE.gapX);
    expect(['a', 'b', 'c', 'd', 'f'].map(column)).toEqual([0, 1, 1, 2, 3]);
    for (const edge of layout.edges) expect(node(layout, edge.from).x).toBeLessThan(node(layout, edge.to).x);
    // A shortcut A → D does not pull D left of B and C.
    const shortcut = layoutAt('a', DIAMOND.map((t) => (t.id === 'd' ? task('d', after(['a', 'b', 'c'])) : t)));
    expect(node(shortcut, 'd').x).toBe(node(shortcut, 'b').x + NODE.width + NODE.gapX);
  });

  it('centres each column, never overlaps boxes, and sizes the drawing to hold them all', () => {
    const layout = layoutAt('d');
    expect(node(layout, 'b').y).toBe(NODE.pad);
    expect(node(layout, 'c').y).toBe(NODE.pad + NODE.height + NODE.gapY);
    const middle = NODE.pad + (NODE.height + NODE.gapY) / 2;
    expect([node(layout, 'a').y, node(layout, 'd').y, node(layout, 'f').y]).toEqual([middle, middle, middle]);
    expect(layout.width).toBe(2 * NODE.pad + 4 * NODE.width + 3 * NODE.gapX);
    expect(layout.height).toBe(2 * NODE.pad + 2 * NODE.height + NODE.gapY);
    for (const n of layout.nodes) {
      expect(n.x + NODE.width).toBeLessThanOrEqual(layout.width);
      expect(n.y + NODE.height).toBeLessThanOrEqual(layout.height);
    }
  });

  it('draws each arrow from the parent\'s right edge to the child\'s left edge', () => {
    const layout = layoutAt('a');
    const edge = layout.edges.find((e) => e.from === 'a' && e.to === 'b')!;
    const [a, b] = [node(layout, 'a'), node(layout, 'b')];
    expect(edge.path.startsWith(`M ${a.x + NODE.width} ${a.y + NODE.height / 2} C`)).toBe(true);
    expect(edge.path.endsWith(`${b.x} ${b.y + NODE.height / 2}`)).toBe(true);
  });

  it('carries each task\'s newest run state, join mode or parent condition, and which one is the focus', () => {
    const layout = layoutAt('d');
    expect(node(layout, 'd')).toMatchObject({ name: 'D', state: 'running', join: 'any_succeeded', on: null, focus: true });
    expect(node(layout, 'c')).toMatchObject({ state: 'failed', join: null, on: 'success', focus: false });
    expect(node(layout, 'a')).toMatchObject({ state: 'succeeded', join: null, on: null });
    expect(node(layout, 'f').state).toBeNull();
    expect(joinLabel(node(layout, 'd'))).toBe('any succeeded');
    expect(joinLabel(node(layout, 'f'))).toBe('on failure');
    expect(joinLabel(node(layout, 'b'))).toBeNull();
  });

  it('orders a column by its parents\' rows, then by name, so the same workflow always draws the same', () => {
    const tasks = [task('r1'), task('r2'), task('z', after(['r1'])), task('y', after(['r2'])), task('x', after(['r2']))];
    const layout = layoutAt('r1', [...tasks, task('j', after(['r1', 'r2']))]);
    const second = layout.nodes.filter((n) => n.x === node(layout, 'z').x).sort((p, q) => p.y - q.y).map((n) => n.id);
    expect(second).toEqual(['z', 'j', 'x', 'y']); // j: parents at rows 0 and 1
    expect(layoutAt('r1', [...tasks, task('j', after(['r1', 'r2']))].reverse()).nodes).toEqual(layout.nodes);
  });

  it('survives a loop read mid-edit instead of hanging', () => {
    const loop = [task('p', after(['q'])), task('q', after(['p']))];
    const layout = layoutAt('p', loop);
    expect(layout.nodes).toHaveLength(2);
    expect(layout.edges).toHaveLength(2);
  });
});
