/** The operations.list `filter` language: parse it and plan Firestore queries for it. */

export {MAX_FILTER_LENGTH, filterError, tokenize} from './lexer';
export type {Comparator, Token, TokenKind} from './lexer';
export {MAX_FILTER_DEPTH, formatFieldPath, parseFilter} from './parser';
export type {FieldPath, FilterExpr, FilterValue, Restriction} from './parser';
export {MAX_DISJUNCTIONS, allIndexShapes, labelPair, planOperationQuery, shapeOf} from './planner';
export type {
  ArrayField,
  EqualityField,
  IndexShape,
  IndexedConjunct,
  OperationQueryPlan,
  TimeBound,
} from './planner';
