/**
 * Ports: what one feature lib needs of another, declared here in the domain layer and passed in
 * by an app's composition root (feature libs never import each other; lint refuses it).
 */
export { plainFields, type FieldProtector } from './field-protector';
export { noKeys, type KeyChange, type KeySource } from './key-source';
export { noAudit, type AuditEvent, type AuditTrail } from './audit-trail';
