export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/**
 * The conditions with one set: lastTransitionTime moves only when the status
 * changes, as Kubernetes conventions ask, so a resync does not rewrite status.
 */
export function withCondition(conditions: Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'>, now: Date): Condition[] {
  const list = conditions ?? [];
  const current = list.find((c) => c.type === next.type);
  const lastTransitionTime = current && current.status === next.status ? current.lastTransitionTime : now.toISOString();
  const updated = { ...next, lastTransitionTime };
  return current ? list.map((c) => (c.type === next.type ? updated : c)) : [...list, updated];
}

export function sameConditions(a: Condition[] | undefined, b: Condition[] | undefined): boolean {
  const key = (list: Condition[] | undefined) =>
    JSON.stringify([...(list ?? [])].sort((x, y) => x.type.localeCompare(y.type)).map((c) => [c.type, c.status, c.reason, c.message, c.observedGeneration]));
  return key(a) === key(b);
}
