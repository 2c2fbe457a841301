// Exhaustiveness guard for switches over closed string unions (STYLE §7): adding a member to the union
// makes every switch that forgot it a compile error, and a value smuggled past the types a loud bug.
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Bug: unexpected ${what} ${JSON.stringify(value)}`);
}
