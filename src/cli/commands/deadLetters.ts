/**
 * `gaffer dead-letters [--retry NAME]`: the project's Pub/Sub messages Gaffer gave up on
 * (each with its topic, operation, attempts and last error), or send one back to be
 * delivered again once its topic is fixed.
 */
import {booleanOption, pageSizeOption, shortId, stringOption} from '../args';
import {Command, err, out, printLines, requireProject} from '../command';
import {formatTime, table, toJson} from '../format';
import {allPages} from '../paging';
import type {DeadLetterJson} from '../../wire/iam';

export const deadLettersCommand: Command = {
  name: 'dead-letters',
  summary: 'list the Pub/Sub messages Gaffer gave up on, or --retry one',
  usage: 'gaffer dead-letters [--page-size N] [--all] [--retry NAME]',
  details: [
    '--page-size N        dead letters per page',
    '--all                every page',
    '--retry NAME         deliver NAME (projects/P/deadLetters/ID, or ID) again',
  ],
  options: {'page-size': {type: 'string'}, all: {type: 'boolean'}, retry: {type: 'string'}},
  positionals: [],
  async run(ctx) {
    const project = requireProject(ctx);
    const retry = stringOption(ctx.values, 'retry');
    if (retry !== undefined) {
      const letter = await ctx.client.retryDeadLetter(project, shortId(retry));
      out(ctx, ctx.json ? toJson(letter) : `${letter.name}: back in the outbox, to ${letter.topic}`);
      return 0;
    }
    const pageSize = pageSizeOption(ctx.values);
    let letters: DeadLetterJson[];
    let next: string | undefined;
    if (booleanOption(ctx.values, 'all')) {
      letters = await allPages(token => ctx.client.listDeadLetters(project, {pageSize, pageToken: token}), page => page.deadLetters);
    } else {
      const page = await ctx.client.listDeadLetters(project, {pageSize});
      letters = page.deadLetters ?? [];
      next = page.nextPageToken;
    }
    if (ctx.json) {
      out(ctx, toJson({deadLetters: letters}));
      return 0;
    }
    if (letters.length === 0) out(ctx, 'No dead letters.');
    else {
      printLines(
        ctx.io.stdout,
        table(
          ['NAME', 'GAVE UP', 'TOPIC', 'OPERATION', 'STATUS', 'ATTEMPTS', 'LAST ERROR'],
          letters.map(l => [shortId(l.name), formatTime(l.deadTime), l.topic, shortId(l.operation), l.attributes.status ?? '', String(l.attempts), l.lastError]),
        ),
      );
    }
    if (next) err(ctx, 'More dead letters: --all');
    return 0;
  },
};
