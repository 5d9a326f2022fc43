/** `gaffer cancel NAME`: operations.cancel. */
import {parseOperationName} from '../args';
import {Command, out, positional} from '../command';
import {toJson} from '../format';

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'cancel an operation (a running one stops at its worker\'s next check-in)',
  usage: 'gaffer cancel NAME',
  details: [],
  options: {},
  positionals: ['NAME'],
  async run(ctx) {
    const ref = parseOperationName(positional(ctx, 0), ctx.project);
    const response = await ctx.client.cancelOperation(ref);
    if (ctx.json) {
      out(ctx, toJson(response));
      return 0;
    }
    const op = await ctx.client.getOperation(ref);
    out(ctx, op.done ? 'cancelled' : 'cancel requested: the worker stops it at its next check-in');
    return 0;
  },
};
