// The Fastify plugin: serves a directory under a URL prefix and decorates the reply with
// sendFile. Both hand the raw request and response to sendFile (reply.hijack() first), so the
// body takes the same native path as under node:http.
//
// Invariants:
// - The path is taken from the raw request URL and decoded once (ts/http/path.ts), never from
//   Fastify's already-decoded params (decoding twice is how `%252e%252e` becomes `..`).
// - A miss goes to Fastify's own not-found handling (reply.callNotFound()).
// - The plugin imports nothing from Fastify: it is a plain function with the
//   `skip-override` mark, so the reply decoration is visible to the whole app.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpTypeError } from './errors.js';
import { segmentsOfUrl } from './path.js';
import { type SendFileOptions, resolveOptions, sendResolved } from './send-file.js';

export interface FastifySendfileOptions extends SendFileOptions {
  /** Directory to serve (required). */
  root: string;
  /** URL prefix the files are served under (default '/'). */
  prefix?: string;
  /** Register the GET/HEAD route for the prefix (default true); false: only decorate the reply. */
  serve?: boolean;
  /** Add reply.sendFile(path, options?) (default true). */
  decorateReply?: boolean;
}

/** The parts of Fastify's request/reply the plugin uses. */
interface Reply {
  raw: ServerResponse;
  request: { raw: IncomingMessage };
  hijack(): unknown;
  callNotFound(): unknown;
  log?: { error(o: unknown, msg?: string): void };
}
interface Instance {
  decorateReply(name: string, fn: unknown): unknown;
  route(o: Record<string, unknown>): unknown;
}

function report(reply: Reply, err: unknown): void {
  reply.log?.error({ err }, 'sock-sendfile: sendFile failed');
  if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-length': 0 }).end();
  else reply.raw.destroy();
}

/** Registers the static route and reply.sendFile; use with `fastify.register(plugin, opts)`. */
export function fastifySendfile(fastify: Instance, opts: FastifySendfileOptions, done: (err?: Error) => void): void {
  try {
    if (!opts || typeof opts.root !== 'string' || !opts.root) throw httpTypeError('the Fastify plugin needs options.root (a directory)');
    const { prefix: rawPrefix = '/', serve = true, decorateReply = true, ...rest } = opts;
    const o = resolveOptions(rest);
    const prefix = rawPrefix.endsWith('/') ? rawPrefix : `${rawPrefix}/`;
    if (!prefix.startsWith('/')) throw httpTypeError(`prefix must start with / (got ${rawPrefix})`);

    if (decorateReply) {
      fastify.decorateReply('sendFile', function sendFileDecorator(this: Reply, path: string, options?: SendFileOptions) {
        this.hijack();
        const ro = options ? resolveOptions({ ...rest, ...options }) : o;
        sendResolved(this.request.raw, this.raw, path, ro).catch((err) => report(this, err));
        return this;
      });
    }
    if (serve) {
      fastify.route({
        method: ['GET', 'HEAD'],
        url: `${prefix}*`,
        exposeHeadRoute: false,
        handler(request: { raw: IncomingMessage }, reply: Reply): void {
          const url = request.raw.url ?? '/';
          // The route matched the prefix; the raw target starts with it unless the client
          // percent-encoded part of the prefix itself (then Fastify decoded it): a miss.
          if (!url.startsWith(prefix)) { reply.callNotFound(); return; }
          // sendFile decides a miss before its first await, so Fastify's not-found handler
          // can still answer; anything else is ours from here (hijacked).
          let missed = false;
          const parts = segmentsOfUrl(url.slice(prefix.length - 1));
          sendResolved(request.raw, reply.raw, parts, o, { onMiss: () => { missed = true; }, redirectFrom: url })
            .catch((err) => report(reply, err));
          if (missed) reply.callNotFound();
          else reply.hijack();
        },
      });
    }
    done();
  } catch (err) {
    done(err as Error);
  }
}

(fastifySendfile as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(fastifySendfile as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'sock-sendfile';
