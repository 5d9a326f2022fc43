/**
 * Request bodies are checked against the JSON Schemas in schemas/ before anything else
 * looks at them. Schemas compile once, at start; ajv's errors become one
 * INVALID_ARGUMENT whose message and BadRequest details name every bad field, worded
 * like Google's own ("Unknown name ... Cannot find field.").
 */
import Ajv, {ErrorObject, ValidateFunction} from 'ajv';
import addFormats from 'ajv-formats';
import {readFileSync} from 'fs';
import {join} from 'path';
import {FieldViolation, GafferError} from '../core/errors';
import {parseTimestamp} from '../wire/proto3';
import type {SendWorkerMessagesRequestJson} from '../wire/dataflow';
import type {AppendLogsRequestJson} from '../wire/logs';
import type {V2betaRunPipelineRequestJson} from '../wire/lifesciences';
import type {GetIamPolicyRequest} from '../wire/generated/getIamPolicyRequest';
import type {SetIamPolicyRequest} from '../wire/generated/setIamPolicyRequest';
import type {TestIamPermissionsRequest} from '../wire/generated/testIamPermissionsRequest';
import type {
  CancelOperationRequestJson,
  CheckInRequestJson,
  RunPipelineRequestJson,
  WaitOperationRequestJson,
} from '../wire/genomics';

/** schemas/ at the package root, from src/http or build/src/http. */
export function schemasDir(): string {
  const candidates = [join(__dirname, '../../schemas'), join(__dirname, '../../../schemas')];
  for (const dir of candidates) {
    try {
      readFileSync(join(dir, 'runPipelineRequest.schema.json'));
      return dir;
    } catch {
      // try the next candidate
    }
  }
  throw new Error(`schemas/ not found next to ${__dirname}`);
}

/**
 * Each schema in schemas/ and the body type generated from it (src/wire/generated): a
 * body that passed `validate(name, ...)` has exactly this type.
 */
export interface SchemaBodies {
  runPipelineRequest: RunPipelineRequestJson;
  lifesciencesRunPipelineRequest: V2betaRunPipelineRequestJson;
  cancelOperationRequest: CancelOperationRequestJson;
  waitOperationRequest: WaitOperationRequestJson;
  checkInRequest: CheckInRequestJson;
  sendWorkerMessagesRequest: SendWorkerMessagesRequestJson;
  appendLogsRequest: AppendLogsRequestJson;
  getIamPolicyRequest: GetIamPolicyRequest;
  setIamPolicyRequest: SetIamPolicyRequest;
  testIamPermissionsRequest: TestIamPermissionsRequest;
}

export type SchemaName = keyof SchemaBodies;

/**
 * Bodies whose JSON nulls are read as unset before validating, as Google's Pipelines
 * service did (dsub sends None for whatever it leaves out). Not Dataflow's WorkerMessages:
 * their google.protobuf.Struct fields (pods, parameters) hold nulls that mean null.
 */
const NULL_IS_UNSET: ReadonlySet<SchemaName> = new Set([
  'runPipelineRequest',
  'lifesciencesRunPipelineRequest',
  'cancelOperationRequest',
  'waitOperationRequest',
  'checkInRequest',
]);

export function nullIsUnset(schema: SchemaName): boolean {
  return NULL_IS_UNSET.has(schema);
}

const SCHEMA_NAMES: readonly SchemaName[] = [
  'runPipelineRequest',
  'lifesciencesRunPipelineRequest',
  'cancelOperationRequest',
  'waitOperationRequest',
  'checkInRequest',
  'sendWorkerMessagesRequest',
  'appendLogsRequest',
  'getIamPolicyRequest',
  'setIamPolicyRequest',
  'testIamPermissionsRequest',
];

export class RequestValidator {
  private readonly validators = new Map<SchemaName, ValidateFunction>();

  constructor(dir = schemasDir()) {
    const ajv = new Ajv({strict: true, allErrors: true});
    addFormats(ajv);
    // A Timestamp must be one Google's parsers (and Firestore) take: within years 1 to 9999, no leap second.
    ajv.addFormat('date-time', {type: 'string', validate: (text: string) => parseTimestamp(text) !== undefined});
    for (const name of SCHEMA_NAMES) {
      const schema: unknown = JSON.parse(readFileSync(join(dir, `${name}.schema.json`), 'utf8'));
      this.validators.set(name, ajv.compile(schema as object));
    }
  }

  /** Returns the body, typed by its schema, if it satisfies it; throws INVALID_ARGUMENT otherwise. */
  validate<N extends SchemaName>(name: N, body: unknown): SchemaBodies[N] {
    const validate = this.validators.get(name);
    if (!validate) throw new Error(`no schema ${name}`);
    // The generated type of a schema describes exactly what the schema accepts.
    if (validate(body)) return body as SchemaBodies[N];
    const violations = dedupe((validate.errors ?? []).map(toViolation));
    const [only] = violations;
    const message =
      only && violations.length === 1
        ? `Invalid request: ${only.description}`
        : `Invalid request: ${violations.length} problems: ${violations.map(v => v.description).join('; ')}`;
    return failWith(message, violations);
  }
}

function failWith(message: string, fieldViolations: FieldViolation[]): never {
  throw new GafferError('INVALID_ARGUMENT', message, {
    reason: 'INVALID_REQUEST_BODY',
    metadata: {fields: fieldViolations.map(v => v.field).join(',')},
    fieldViolations,
  });
}

/** "/pipeline/actions/0/imageUri" -> "pipeline.actions[0].imageUri" (Google's field paths). */
export function fieldPath(instancePath: string, child?: string): string {
  const parts = instancePath.split('/').slice(1).map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  let path = '';
  for (const part of parts) {
    if (/^\d+$/.test(part)) path += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) path += path ? `.${part}` : part;
    else path += `[${JSON.stringify(part)}]`;
  }
  return path;
}

function toViolation(error: ErrorObject): FieldViolation {
  const where = fieldPath(error.instancePath);
  const at = where ? ` at '${where}'` : '';
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(error.params.additionalProperty);
      return {field: fieldPath(error.instancePath, name), description: `Unknown name "${name}"${at}: Cannot find field.`};
    }
    case 'required': {
      const name = String(error.params.missingProperty);
      const field = fieldPath(error.instancePath, name);
      return {field, description: `${field} is required`};
    }
    case 'propertyNames':
      return {field: where, description: `${where} has an invalid key ${JSON.stringify(error.params.propertyName)}`};
    case 'enum':
      return {
        field: where,
        description: `${where || 'value'} must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`,
      };
    case 'format':
      if (error.params.format === 'date-time') {
        return {field: where, description: `${where} must be an RFC 3339 timestamp between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z (no leap second)`};
      }
      return {field: where, description: `${where || 'request body'} ${error.message ?? 'is invalid'}`};
    default:
      return {field: where, description: `${where || 'request body'} ${error.message ?? 'is invalid'}`};
  }
}

function dedupe(violations: FieldViolation[]): FieldViolation[] {
  const seen = new Set<string>();
  return violations.filter(v => {
    // propertyNames reports the key twice (the name, then the propertyNames rule).
    if (v.description.includes('must match pattern') && violations.some(o => o.description.includes('invalid key') && o.field === v.field)) {
      return false;
    }
    const key = `${v.field}|${v.description}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
