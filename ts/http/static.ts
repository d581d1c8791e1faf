// serveStatic: a directory served over HTTP, as a node:http request listener and, when given a
// `next`, as Connect/Express middleware. Every file goes out through sendFile.
//
// Invariants:
// - Options are checked once, when the handler is made; a bad option throws there.
// - The request path is decoded once (ts/http/path.ts); hostile paths get their status even in
//   middleware, while a plain miss (404) or a method other than GET/HEAD calls next() when
//   there is one.
// - The handler never throws and never leaves a rejected promise: a programming error goes to
//   next(err), or becomes a 500 (or a closed connection once headers went).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { httpTypeError } from './errors.js';
import { statusBody } from './headers.js';
import { segmentsOfUrl } from './path.js';
import { type SendFileOptions, type SendFileResult, type Context, resolveOptions, sendNow } from './send-file.js';

export interface ServeStaticOptions extends Omit<SendFileOptions, 'root'> {
  /** Called once per request with its outcome (the CLI logs with it). */
  onResult?: (req: IncomingMessage, result: SendFileResult) => void;
}

export type NextFunction = (err?: unknown) => void;

/** A request listener and a Connect/Express middleware at once. */
export type StaticHandler = (req: IncomingMessage, res: ServerResponse, next?: NextFunction) => Promise<SendFileResult | undefined>;

function failSafely(res: ServerResponse, err: unknown, next?: NextFunction): void {
  if (next) { next(err); return; }
  if (res.headersSent) { res.destroy(); return; }
  const { headers, body } = statusBody(500, STATUS_CODES[500]!);
  res.writeHead(500, headers).end(body);
}

/** Serves files under `root`; see SendFileOptions for the options. */
export function serveStatic(root: string, options: ServeStaticOptions = {}): StaticHandler {
  if (typeof root !== 'string' || root === '') throw httpTypeError('serveStatic needs a root directory (a non-empty string)');
  const { onResult, ...rest } = options;
  if (onResult !== undefined && typeof onResult !== 'function') throw httpTypeError('options.onResult must be a function');
  const o = resolveOptions({ ...rest, root });

  return async function serveStaticHandler(req, res, next) {
    try {
      if (next && req.method !== 'GET' && req.method !== 'HEAD') { next(); return undefined; }
      const ctx: Context | undefined = next ? { onMiss: () => next() } : undefined;
      const sent = sendNow(req, res, segmentsOfUrl(req.url ?? '/'), o, ctx);
      const result = sent instanceof Promise ? await sent : sent;
      onResult?.(req, result);
      return result;
    } catch (err) {
      failSafely(res, err, next);
      return undefined;
    }
  };
}
