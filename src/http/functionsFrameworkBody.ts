/**
 * The functions framework parses JSON bodies before any handler runs, and answers a
 * malformed body with express's HTML error page: not a google.rpc.Status. It has no
 * option to change that, so before it builds its server we wrap the body-parser JSON
 * middleware it will use: a parse failure no longer ends the request, and Gaffer's
 * handler, which parses `req.rawBody` itself, answers with INVALID_ARGUMENT like any
 * other bad input. Everything else (size limits, content types) is unchanged.
 */
import {dirname} from 'path';

type Next = (err?: unknown) => void;
type Middleware = (req: unknown, res: unknown, next: Next) => void;
type JsonFactory = (options?: object) => Middleware;

let installed = false;

export function letGafferAnswerMalformedJson(): void {
  if (installed) return;
  installed = true;
  // The body-parser module the functions framework itself resolves.
  const from = dirname(require.resolve('@google-cloud/functions-framework'));
  const bodyParser = require(require.resolve('body-parser', {paths: [from]})) as {json: JsonFactory};
  const originalJson = bodyParser.json;
  Object.defineProperty(bodyParser, 'json', {
    configurable: true,
    enumerable: true,
    value: (options?: object): Middleware => {
      const parse = originalJson(options);
      return (req, res, next) =>
        parse(req, res, err => next((err as {type?: string} | undefined)?.type === 'entity.parse.failed' ? undefined : err));
    },
  });
}
