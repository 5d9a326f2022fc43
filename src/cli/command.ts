/** The shape of a subcommand and what it is given to run. */
import type {OptionValues, OptionsConfig} from './args';
import type {GafferClient} from './client';
import {Io, Output, UsageError, println} from './io';

export interface Context {
  io: Io;
  client: GafferClient;
  /** --project, else GAFFER_PROJECT. */
  project?: string;
  /** --project only (run takes the project from the pipeline unless this overrides it). */
  projectFlag?: string;
  json: boolean;
  values: OptionValues;
  positionals: string[];
  /** The command's usage line, for usage errors it raises itself. */
  usage: string;
}

export interface Command {
  name: string;
  summary: string;
  /** "gaffer list [--filter EXPR] ..." */
  usage: string;
  /** Lines describing the command's own options. */
  details: string[];
  options: OptionsConfig;
  /** Names of the positional arguments, all required. */
  positionals: string[];
  run(ctx: Context): Promise<number>;
}

/** The command's positional argument `index` (main() checked their number). */
export function positional(ctx: Context, index: number): string {
  const value = ctx.positionals[index];
  if (value === undefined) throw new UsageError(`missing argument ${index + 1}`, ctx.usage);
  return value;
}

export function requireProject(ctx: Context): string {
  if (!ctx.project) throw new UsageError('this command needs --project (or GAFFER_PROJECT)', ctx.usage);
  return ctx.project;
}

export function out(ctx: Context, line = ''): void {
  println(ctx.io.stdout, line);
}

export function err(ctx: Context, line = ''): void {
  println(ctx.io.stderr, line);
}

export function printLines(stream: Output, lines: readonly string[]): void {
  for (const line of lines) println(stream, line);
}
