export { HttpError } from './errors';
export { parseBody, type BodyKind, type BodyOptions } from './body';
export { errorHandler, toErrorResponse, type ErrorResponse } from './error-handler';
export { requestContext } from './request-context';
export { pageBody } from './pagination';
export { crossSiteGuard, type CrossSiteOptions } from './cross-site';
export { rejectMalformedUrl, rejectUnstorableBody } from './input-guard';
