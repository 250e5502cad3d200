import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteMatch } from '@keygate/router';
import type { ConsumerData, RouteData, ServiceData } from '../state/types';
import type { ParsedBody } from './body';
import { requestLabels, type RequestLabels } from '../metrics';
import { queryValue, withoutQueryParam, type QueryValue } from './query';

/** Who the request authenticated as (Kong's `kong.client.authenticate`). */
export interface Authenticated {
  readonly consumer: ConsumerData | undefined;
  /** The credential: its id, and what `X-Credential-Identifier` carries (key-auth: id; basic-auth: username). */
  readonly credential: { readonly id: string; readonly identifier: string } | undefined;
}

/**
 * One request on its way through the proxy: what routing found, and what plugins changed for
 * the upstream request (headers set or cleared, query, body).
 */
export class RequestContext {
  readonly service: ServiceData | undefined;
  readonly route: RouteData;
  query: string;
  /** The buffered request body, when a plugin or the retry policy needed it. */
  body: Buffer | undefined;
  parsedBody: ParsedBody | undefined;
  /** The body was needed (key-auth `key_in_body`) but could not be parsed. */
  bodyError = false;
  /** Upstream request headers to set (lower-case name -> value) or drop. */
  readonly setHeaders = new Map<string, string>();
  readonly clearHeaders = new Set<string>();
  authenticated: Authenticated | undefined;
  /** Service and route as metrics label them. */
  readonly labels: RequestLabels;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    readonly startedAt: number,
    /** The path as sent (for `X-Forwarded-Path`). */
    readonly rawPath: string,
    /** The normalized path routing matched. */
    readonly path: string,
    query: string,
    readonly match: RouteMatch<RouteData>,
    service: ServiceData | undefined,
  ) {
    this.route = match.route;
    this.service = service;
    this.labels = requestLabels(match.route, service);
    this.query = query;
  }

  get method(): string {
    return this.req.method ?? 'GET';
  }

  /** A request header (lower-case name) as Node joined it. */
  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /** Every occurrence of a request header, to tell a repeated header from a single one. */
  headerValues(name: string): string[] {
    const raw = this.req.rawHeaders;
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const key = raw[i] as string;
      if (key.length === name.length && key.toLowerCase() === name) out.push(raw[i + 1] as string);
    }
    return out;
  }

  queryValue(name: string): QueryValue {
    return queryValue(this.query, name);
  }

  removeQueryParam(name: string): void {
    this.query = withoutQueryParam(this.query, name);
  }

  setUpstreamHeader(name: string, value: string): void {
    this.clearHeaders.delete(name);
    this.setHeaders.set(name, value);
  }

  clearUpstreamHeader(name: string): void {
    this.setHeaders.delete(name);
    this.clearHeaders.add(name);
  }
}
