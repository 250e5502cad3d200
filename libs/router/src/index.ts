export type { RequestFacts, RouteMatch, RouteSpec } from './types';
export { Router, type RejectedRoute } from './router';
export { routePriority } from './priority';
export { normalizePath, escapePath } from './normalize';
export { upstreamPath } from './upstream-path';
export { splitHost } from './matchers';
