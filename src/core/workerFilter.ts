/**
 * operations.list's sibling for workers: `healthy = true`, `holding = false`, joined with
 * AND (NOT and != negate). Both are equality tests, which Firestore serves by merging its
 * single-field indexes, ordered by worker id.
 */
import {FilterExpr, filterError, parseFilter} from './filter';

export interface WorkerQueryPlan {
  healthy?: boolean;
  holding?: boolean;
  /** Contradictory filter (healthy = true AND healthy = false): nothing matches. */
  matchesNothing: boolean;
  canonical: string;
}

const FIELDS = ['healthy', 'holding'] as const;
type WorkerField = (typeof FIELDS)[number];

export function planWorkerQuery(filter: string): WorkerQueryPlan {
  const plan: WorkerQueryPlan = {matchesNothing: false, canonical: ''};
  const expr = parseFilter(filter);
  if (expr) collect(expr, false, plan);
  plan.canonical = FIELDS.filter(f => plan[f] !== undefined)
    .map(f => `${f}=${plan[f]}`)
    .join(' AND ');
  if (plan.matchesNothing) plan.canonical = 'false';
  return plan;
}

function collect(expr: FilterExpr, negated: boolean, plan: WorkerQueryPlan): void {
  switch (expr.kind) {
    case 'and':
      if (negated) throw filterError('NOT of an AND group is not supported for workers; write each condition with NOT', 0);
      expr.operands.forEach(e => collect(e, false, plan));
      return;
    case 'or':
      throw filterError('OR is not supported for workers; filter on healthy and holding with AND', 0);
    case 'not':
      collect(expr.operand, !negated, plan);
      return;
    case 'restriction': {
      const field = expr.field.segments.join('.');
      if (!(FIELDS as readonly string[]).includes(field)) {
        throw filterError(`unknown field ${JSON.stringify(field)}; workers can be filtered on ${FIELDS.join(', ')}`, expr.field.position);
      }
      if (expr.comparator !== '=' && expr.comparator !== '!=') {
        throw filterError(`${field} takes = or !=, not ${expr.comparator}`, expr.position);
      }
      const text = expr.value.text.toLowerCase();
      if (expr.value.kind === 'wildcard' || (text !== 'true' && text !== 'false')) {
        throw filterError(`${field} must be compared with true or false`, expr.value.position);
      }
      const value = (text === 'true') !== (negated !== (expr.comparator === '!='));
      const existing = plan[field as WorkerField];
      if (existing !== undefined && existing !== value) plan.matchesNothing = true;
      plan[field as WorkerField] = value;
      return;
    }
  }
}
