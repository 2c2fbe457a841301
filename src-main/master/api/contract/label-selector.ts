// Label selectors for routing, in Kubernetes' set-based syntax: `zone in (a,b), gpu=yes, !maintenance`. A comma
// between terms means "and". Pure: parsed once where a task is checked, matched against a worker's labels.

export type SelectorTerm =
  | { op: 'eq' | 'ne'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'absent'; key: string };
export type Selector = SelectorTerm[];

export type Parsed = { ok: true; selector: Selector } | { ok: false; message: string };

const KEY = /^[A-Za-z0-9]([A-Za-z0-9_./-]{0,126}[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([A-Za-z0-9_.-]{0,126}[A-Za-z0-9])?)?$/;
const MAX_TERMS = 32;

/** Splits on commas outside parentheses, so `zone in (a,b)` stays one term. */
function splitTerms(text: string): string[] | null {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    if (depth < 0 || depth > 1) return null;
    if (text[i] === ',' && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return null;
  terms.push(text.slice(start));
  return terms.map((t) => t.trim());
}

function parseTerm(term: string): SelectorTerm | string {
  let m = /^!\s*(\S+)$/.exec(term);
  if (m) return KEY.test(m[1]!) ? { op: 'absent', key: m[1]! } : `"${m[1]}" is not a label key`;
  m = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(term);
  if (m) {
    const [, key, op, value] = m as unknown as [string, string, string, string];
    if (!KEY.test(key)) return `"${key}" is not a label key`;
    if (!VALUE.test(value)) return `"${value}" is not a label value`;
    return { op: op === '!=' ? 'ne' : 'eq', key, value };
  }
  m = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(term);
  if (m) {
    const [, key, op, list] = m as unknown as [string, string, 'in' | 'notin', string];
    if (!KEY.test(key)) return `"${key}" is not a label key`;
    const values = list.split(',').map((v) => v.trim());
    const bad = values.find((v) => v === '' || !VALUE.test(v));
    if (bad !== undefined) return `"${bad}" in "${term}" is not a label value`;
    return { op, key, values };
  }
  if (KEY.test(term)) return { op: 'exists', key: term };
  return `"${term}" is not a term (use key=value, key!=value, key in (a,b), key notin (a,b), key or !key)`;
}

export function parseSelector(text: string): Parsed {
  if (text.trim() === '') return { ok: false, message: 'is empty; leave it out to select every worker' };
  const terms = splitTerms(text);
  if (!terms) return { ok: false, message: 'has unbalanced or nested parentheses' };
  if (terms.length > MAX_TERMS) return { ok: false, message: `has more than ${MAX_TERMS} terms` };
  const selector: Selector = [];
  for (const [i, term] of terms.entries()) {
    if (term === '') return { ok: false, message: `term ${i + 1} is empty (two commas in a row, or a trailing comma)` };
    const parsed = parseTerm(term);
    if (typeof parsed === 'string') return { ok: false, message: `term ${i + 1}: ${parsed}` };
    selector.push(parsed);
  }
  return { ok: true, selector };
}

function termMatches(term: SelectorTerm, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, term.key);
  const value = has ? labels[term.key] : undefined;
  switch (term.op) {
    case 'eq': return value === term.value;
    case 'ne': return value !== term.value;
    case 'in': return value !== undefined && term.values.includes(value);
    case 'notin': return value === undefined || !term.values.includes(value);
    case 'exists': return has;
    case 'absent': return !has;
  }
}

/** The first term the labels fail, or null when they match them all. */
export function unmatchedTerm(selector: Selector, labels: Record<string, string>): SelectorTerm | null {
  return selector.find((t) => !termMatches(t, labels)) ?? null;
}

export function formatTerm(t: SelectorTerm): string {
  switch (t.op) {
    case 'eq': return `${t.key}=${t.value}`;
    case 'ne': return `${t.key}!=${t.value}`;
    case 'in': return `${t.key} in (${t.values.join(',')})`;
    case 'notin': return `${t.key} notin (${t.values.join(',')})`;
    case 'exists': return t.key;
    case 'absent': return `!${t.key}`;
  }
}
