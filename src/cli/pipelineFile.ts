/**
 * `gaffer run FILE`: a RunPipelineRequest ({pipeline, labels, pubSubTopic}) or just a
 * Pipeline ({actions, resources, ...}), in JSON or YAML, from a file or stdin.
 */
import {readFile} from 'node:fs/promises';
import {extname} from 'node:path';
import {parse as parseYaml} from 'yaml';
import {CliError, Io} from './io';

type JsonObject = Record<string, unknown>;

export interface RunPipelineRequest extends JsonObject {
  pipeline: JsonObject;
  labels?: Record<string, string>;
}

/** Reads FILE (`-`: stdin) and returns the RunPipelineRequest it holds. */
export async function loadRunRequest(file: string, io: Io): Promise<RunPipelineRequest> {
  const text = file === '-' ? await readStdin(io) : await readText(file);
  return toRunRequest(parseDocument(file, text), file);
}

/** Sets the project and merges labels over the file's. */
export function applyOverrides(request: RunPipelineRequest, project: string | undefined, labels: Record<string, string>): RunPipelineRequest {
  const pipeline = {...request.pipeline};
  if (project !== undefined) pipeline.resources = {...asObject(pipeline.resources), projectId: project};
  const merged = Object.keys(labels).length > 0 ? {labels: {...request.labels, ...labels}} : {};
  return {...request, pipeline, ...merged};
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as {code?: unknown}).code;
    throw new CliError(`can't read ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

async function readStdin(io: Io): Promise<string> {
  const chunks: string[] = [];
  const stdin: AsyncIterable<string | Buffer> = io.stdin ?? process.stdin;
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  return chunks.join('');
}

/** .json is JSON; .yaml, .yml, stdin and anything else YAML (which JSON is a subset of). */
function parseDocument(file: string, text: string): unknown {
  const isJson = extname(file).toLowerCase() === '.json';
  try {
    return isJson ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown);
  } catch (err) {
    throw new CliError(`${file === '-' ? 'stdin' : file} is not valid ${isJson ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
}

function toRunRequest(doc: unknown, file: string): RunPipelineRequest {
  const where = file === '-' ? 'stdin' : file;
  if (!isObject(doc)) throw new CliError(`${where} must hold an object: a RunPipelineRequest or a Pipeline`);
  if ('pipeline' in doc) {
    if (!isObject(doc.pipeline)) throw new CliError(`${where}: pipeline must be an object`);
    return doc as RunPipelineRequest;
  }
  if ('actions' in doc || 'resources' in doc) return {pipeline: doc};
  throw new CliError(`${where} is neither a RunPipelineRequest ({pipeline, labels, ...}) nor a Pipeline ({actions, resources, ...})`);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: unknown): JsonObject {
  return isObject(value) ? value : {};
}
