/** Argument helpers shared by the commands: option values, operation names, durations. */
import type {ParseArgsConfig} from 'node:util';
import type {OperationRef} from './client';
import {UsageError} from './io';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** Accepted by every command, before or after it. */
export const GLOBAL_OPTIONS: OptionsConfig = {
  server: {type: 'string'},
  project: {type: 'string'},
  'token-command': {type: 'string'},
  json: {type: 'boolean'},
  help: {type: 'boolean', short: 'h'},
};

/** Global options that take a value (the argument after them is not the command). */
const GLOBAL_VALUE_OPTIONS = new Set(['--server', '--project', '--token-command']);

/** Splits argv into the command word and everything else, wherever the global options are. */
export function splitCommand(argv: readonly string[]): {command?: string; rest: string[]} {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === undefined || arg === '--') break;
    if (GLOBAL_VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-') || arg === '-') return {command: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)]};
  }
  return {rest: [...argv]};
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanOption(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

export function stringsOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** --page-size: a non-negative integer. */
export function pageSizeOption(values: OptionValues): number | undefined {
  const text = stringOption(values, 'page-size');
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`--page-size must be a non-negative integer, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** `--label k=v`, repeatable. */
export function parseLabels(specs: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new UsageError(`--label must be KEY=VALUE, not ${JSON.stringify(spec)}`);
    labels[spec.slice(0, eq)] = spec.slice(eq + 1);
  }
  return labels;
}

const DURATION_UNITS_MS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000};

/** "10m", "1h30m", "2.5s", "500ms", or a bare number of seconds; in milliseconds. */
export function parseDurationArg(option: string, text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let end = 0;
  for (let match = part.exec(text); match; match = part.exec(text)) {
    const [, amount, unit = ''] = match;
    total += Number(amount) * (DURATION_UNITS_MS[unit] ?? 0);
    end = part.lastIndex;
  }
  if (text === '' || end !== text.length) {
    throw new UsageError(`${option} must be a duration such as 30s, 10m or 1h30m, not ${JSON.stringify(text)}`);
  }
  return total;
}

/** "projects/p/operations/123", or "123" with --project. */
export function parseOperationName(name: string, project: string | undefined): OperationRef {
  const full = /^projects\/([^/]+)\/operations\/([^/]+)$/.exec(name);
  if (full?.[1] && full[2]) return {project: full[1], id: full[2]};
  if (name.includes('/') || name === '') {
    throw new UsageError(`NAME must be projects/PROJECT/operations/ID or an ID, not ${JSON.stringify(name)}`);
  }
  if (!project) throw new UsageError(`an operation ID alone needs --project (or GAFFER_PROJECT): ${name}`);
  return {project, id: name};
}

/** The last segment of a resource name: the short id shown in tables. */
export function shortId(name: string | undefined): string {
  return name ? name.slice(name.lastIndexOf('/') + 1) : '';
}

/** --server: an http(s) URL. */
export function checkServerUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`--server must be a URL such as http://127.0.0.1:8080, not ${JSON.stringify(server)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--server must be an http:// or https:// URL, not ${JSON.stringify(server)}`);
  }
  return server;
}
