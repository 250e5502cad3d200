import { randomUUID } from 'node:crypto';
import { unkeyedDigest } from '@keygate/crypto';
import { quoteIdent, type Database, type Queryable } from '@keygate/db';
import type { Entity, EntityDefinition } from '../definition';
import { EntityError, luaPretty } from '../schema/errors';
import { inferForm, validateEntity } from '../schema/validate';
import { deleteError, writeError } from './db-errors';
import { decodeOffset, encodeOffset, invalidTags, parseSize, parseTags } from './pagination';
import { isUuid } from './uuid';
import { fromRow, nowSeconds, toRow, type Row } from './rows';
import { getPath, protectEntity, revealEntity } from './encrypted';
import { revealRow, UnreadableRowError } from './unreadable';
import { digestColumns, refuseLegacyDuplicate } from './digests';
import { plainFields, type FieldProtector } from '../ports';
import type { ChangeSink } from '../changes';

export { isUuid };

/** Restricts an operation to the children of one parent (`/services/{s}/routes`). */
export interface Scope {
  readonly field: string;
  readonly id: string;
}

export interface PageQuery {
  readonly size?: unknown;
  readonly offset?: unknown;
  readonly tags?: unknown;
  readonly scope?: Scope;
}

export interface Page {
  readonly data: Entity[];
  readonly offset?: string;
  /** Rows of this page left out because an encrypted field cannot be decrypted. */
  readonly skipped: readonly UnreadableRowError[];
}

export interface WriteOptions {
  /** The body came form-encoded: infer types from the schema first. */
  readonly form?: boolean;
  readonly scope?: Scope;
  /**
   * Called with every entity the body's foreign keys name (after names are resolved to ids),
   * before anything is written: entity-level RBAC refuses references to entities the caller may
   * not read.
   */
  readonly authorizeReference?: (entity: string, id: string) => Promise<void>;
}

/** Looks up another entity's DAO, to resolve foreign keys given by name. */
export type DaoLookup = (entity: string) => EntityDao | undefined;

/**
 * Kong's generic DAO over one table: select by id or endpoint key, keyset pagination, insert,
 * PATCH (read, merge, validate, write in one transaction), PUT (upsert), delete.
 */
export class EntityDao {
  readonly #table: string;

  constructor(
    readonly def: EntityDefinition,
    private readonly db: Database,
    private readonly lookup: DaoLookup,
    private readonly protector: FieldProtector = plainFields,
    private readonly announce: ChangeSink = async () => undefined,
  ) {
    this.#table = quoteIdent(def.name);
  }

  /**
   * By id (when it looks like one), else by the endpoint key, as Kong's Admin API does. A row
   * whose encrypted field cannot be decrypted throws `UnreadableRowError`.
   */
  async select(idOrKey: string, scope?: Scope, q: Queryable = this.db, lock = false): Promise<Entity | undefined> {
    const stored = await this.#find(idOrKey, scope, q, lock);
    const entity = stored && (await revealRow(this.def, stored, this.protector));
    return entity && this.#isKeyed(entity, idOrKey) ? entity : undefined;
  }

  /** The one entity whose unique `field` (not encrypted) is `value` (`?custom_id=`). */
  async selectBy(field: string, value: string): Promise<Entity | undefined> {
    const row = (await this.db.query(`SELECT * FROM ${this.#table} WHERE ${quoteIdent(this.#column(field))} = $1 LIMIT 1`, [value])).rows[0];
    return row && revealRow(this.def, fromRow(this.def, row), this.protector);
  }

  /**
   * A row found through a digest of its endpoint key must hold that key once decrypted: the
   * digest column alone is a database value, not proof.
   */
  #isKeyed(entity: Entity, idOrKey: string): boolean {
    if (!this.#keyDigest() || entity.id === idOrKey.toLowerCase()) return true;
    return this.def.endpointKey !== undefined && entity[this.def.endpointKey] === idOrKey;
  }

  /** The digest column that indexes the endpoint key, when the key is stored encrypted. */
  #keyDigest(): { column: string; purpose: string } | undefined {
    const entry = Object.entries(this.def.digests ?? {}).find(([, spec]) => spec.field === this.def.endpointKey);
    return entry && { column: entry[0], purpose: entry[1].purpose };
  }

  /** The row as stored (encrypted fields still encrypted): for callers that need no secret. */
  async #find(idOrKey: string, scope: Scope | undefined, q: Queryable, lock: boolean): Promise<Entity | undefined> {
    const suffix = lock ? ' FOR UPDATE' : '';
    let row: Row | undefined;
    if (isUuid(idOrKey)) {
      row = (await q.query(`SELECT * FROM ${this.#table} WHERE id = $1${suffix}`, [idOrKey])).rows[0];
    } else if (!this.def.endpointKey) {
      throw invalidPrimaryKey();
    }
    const digest = this.#keyDigest();
    if (!row && digest) {
      // Rows not yet migrated to the keyed digest still carry the unkeyed one.
      const digests = [await this.protector.digest(digest.purpose, idOrKey), unkeyedDigest(digest.purpose, idOrKey)];
      row = (await q.query(`SELECT * FROM ${this.#table} WHERE ${quoteIdent(digest.column)} = ANY($1::text[])${suffix}`, [digests])).rows[0];
    } else if (!row && this.def.endpointKey) {
      const column = quoteIdent(this.def.endpointKey);
      // An endpoint key unique only inside its parent (a target's address in its upstream).
      const scoped = scope ? ` AND ${quoteIdent(this.#column(scope.field))} = $2` : '';
      row = (await q.query(`SELECT * FROM ${this.#table} WHERE ${column} = $1${scoped}${suffix}`, scope ? [idOrKey, scope.id] : [idOrKey])).rows[0];
    }
    if (!row) return undefined;
    const entity = fromRow(this.def, row);
    if (scope && (entity[scope.field] as { id?: string } | null)?.id !== scope.id) return undefined;
    return entity;
  }

  async page(query: PageQuery = {}): Promise<Page> {
    const size = parseSize(query.size);
    const after = decodeOffset(query.offset);
    const tags = parseTags(query.tags);
    if (tags && !('tags' in this.def.schema.shape)) throw invalidTags(`cannot be used with '${this.def.name}'`);
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.scope) {
      values.push(query.scope.id);
      where.push(`${quoteIdent(this.#column(query.scope.field))} = $${values.length}`);
    }
    if (tags) {
      values.push(tags.tags);
      where.push(`tags ${tags.mode === 'and' ? '@>' : '&&'} $${values.length}::text[]`);
    }
    if (after) {
      values.push(after);
      where.push(`id > $${values.length}`);
    }
    values.push(size + 1);
    const sql = `SELECT * FROM ${this.#table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $${values.length}`;
    const rows = (await this.db.query(sql, values)).rows;
    const stored = rows.slice(0, size).map((row) => fromRow(this.def, row));
    // One unreadable row (tampered, or under a key this node lacks) must not hide the others.
    const read = await Promise.all(stored.map((entity) => revealRow(this.def, entity, this.protector).catch((err: unknown) => {
      if (err instanceof UnreadableRowError) return err;
      throw err;
    })));
    const data = read.filter((entry): entry is Entity => !(entry instanceof UnreadableRowError));
    const skipped = read.filter((entry): entry is UnreadableRowError => entry instanceof UnreadableRowError);
    // The next page starts after the last row read from the table, skipped or not.
    const last = stored[stored.length - 1];
    return rows.length > size && last ? { data, offset: encodeOffset(last.id), skipped } : { data, skipped };
  }

  async insert(body: Record<string, unknown>, options: WriteOptions = {}): Promise<Entity> {
    const input = await this.#prepareInput(body, options);
    const now = nowSeconds();
    const candidate = {
      ...input,
      id: input.id ?? randomUUID(),
      created_at: input.created_at ?? now,
      ...(this.def.hasUpdatedAt ? { updated_at: now } : {}),
    };
    const entity = validateEntity(this.def, candidate, { operation: 'insert' });
    return this.db.transaction((tx) => this.#write(tx, entity, 'insert'));
  }

  /** PATCH: merges the body onto the stored entity, validates the whole, writes. */
  async update(idOrKey: string, body: Record<string, unknown>, options: WriteOptions = {}): Promise<Entity | undefined> {
    return this.db.transaction(async (tx) => {
      const stored = await this.#find(idOrKey, options.scope, tx, true);
      if (!stored) return undefined;
      // An unreadable field the body gives a new value for is repaired, not an error.
      const existing = await revealRow(this.def, stored, this.protector, (path) => getPath(body, path) != null);
      if (!this.#isKeyed(existing, idOrKey)) return undefined;
      const input = await this.#prepareInput(body, options, existing);
      const merged = deepMerge(existing, input);
      const candidate = {
        ...merged,
        id: existing.id,
        created_at: existing.created_at,
        ...(this.def.hasUpdatedAt ? { updated_at: nowSeconds() } : {}),
      };
      const entity = validateEntity(this.def, candidate, { operation: 'update' });
      return this.#write(tx, entity, 'update');
    });
  }

  /**
   * PUT: creates or replaces the entity named in the URL. Fields absent from the body get
   * their defaults; an endpoint key in the URL (`PUT /consumers/alice`) sets that field.
   */
  async upsert(idOrKey: string, body: Record<string, unknown>, options: WriteOptions = {}): Promise<Entity> {
    const byId = isUuid(idOrKey);
    const keyField = this.def.endpointKey;
    if (!byId && !keyField) throw invalidPrimaryKey();
    return this.db.transaction(async (tx) => {
      // A PUT replaces every field, so the stored values need not be readable.
      const existing = await this.#find(idOrKey, undefined, tx, true);
      const input = await this.#prepareInput(body, options);
      const now = nowSeconds();
      const candidate: Record<string, unknown> = {
        ...input,
        id: existing?.id ?? (byId ? idOrKey : randomUUID()),
        created_at: existing?.created_at ?? input.created_at ?? now,
        ...(this.def.hasUpdatedAt ? { updated_at: now } : {}),
      };
      if (!byId && keyField) candidate[keyField] = idOrKey;
      let entity: Entity;
      try {
        entity = validateEntity(this.def, candidate, { operation: 'upsert' });
      } catch (err) {
        throw !byId && keyField ? uniqueKeyError(err, keyField) : err;
      }
      return this.#write(tx, entity, existing ? 'update' : 'insert');
    });
  }

  /** Returns false when there was nothing to delete. */
  async delete(idOrKey: string, scope?: Scope): Promise<boolean> {
    // Not decrypted: a row that cannot be read can still be deleted.
    const entity = await this.#find(idOrKey, scope, this.db, false);
    if (!entity) return false;
    try {
      return await this.db.transaction(async (tx) => {
        const result = await tx.query(`DELETE FROM ${this.#table} WHERE id = $1`, [entity.id]);
        if ((result.rowCount ?? 0) === 0) return false;
        await this.announce(tx, { entity: this.def.name, op: 'delete', id: entity.id });
        return true;
      });
    } catch (err) {
      throw deleteError(this.def, err);
    }
  }

  async #write(q: Queryable, entity: Entity, mode: 'insert' | 'update'): Promise<Entity> {
    const digests = await digestColumns(this.def, entity, this.protector);
    await refuseLegacyDuplicate(q, this.def, entity, digests);
    const row = { ...toRow(this.def, await protectEntity(this.def, entity, this.protector), entity), ...digests };
    const columns = Object.keys(row);
    const values = Object.values(row);
    const sql =
      mode === 'insert'
        ? `INSERT INTO ${this.#table} (${columns.map(quoteIdent).join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`
        : `UPDATE ${this.#table} SET ${columns.filter((c) => c !== 'id').map((c) => `${quoteIdent(c)} = $${columns.indexOf(c) + 1}`).join(', ')} WHERE id = $${columns.indexOf('id') + 1} RETURNING *`;
    let stored: Row;
    try {
      stored = (await q.query(sql, values)).rows[0] as Row;
    } catch (err) {
      throw writeError(this.def, err, entity);
    }
    await this.announce(q, { entity: this.def.name, op: mode === 'insert' ? 'create' : 'update', id: entity.id });
    return revealEntity(this.def, fromRow(this.def, stored), this.protector);
  }

  async #prepareInput(body: Record<string, unknown>, options: WriteOptions, existing?: Entity): Promise<Record<string, unknown>> {
    const input = options.form ? inferForm(this.def, body, existing) : { ...body };
    if (options.scope) input[options.scope.field] = { id: options.scope.id };
    await this.#resolveForeignKeys(input);
    if (options.authorizeReference) {
      for (const fk of this.def.foreignKeys) {
        const id = (input[fk.field] as { id?: unknown } | null | undefined)?.id;
        if (typeof id === 'string') await options.authorizeReference(fk.entity, id);
      }
    }
    return this.def.transform ? this.def.transform(input, existing) : input;
  }

  /** `{"service": {"name": "x"}}` -> `{"service": {"id": ...}}`, or Kong's code 13. */
  async #resolveForeignKeys(input: Record<string, unknown>): Promise<void> {
    for (const fk of this.def.foreignKeys) {
      const ref = input[fk.field];
      if (ref === null || typeof ref !== 'object' || Array.isArray(ref) || 'id' in ref) continue;
      const parent = this.lookup(fk.entity);
      const key = parent?.def.endpointKey;
      const value = key ? (ref as Record<string, unknown>)[key] : undefined;
      if (!parent || !key || typeof value !== 'string' || Object.keys(ref).length !== 1) continue;
      const found = await parent.select(value);
      if (!found) {
        const message = `the foreign key cannot be resolved with '${luaPretty({ [key]: value })}' for an existing '${fk.entity}' entity`;
        throw new EntityError('FOREIGN_KEYS_UNRESOLVED', `foreign key unresolved (${fk.field}.${key}: ${message})`, {
          [fk.field]: { [key]: message },
        });
      }
      input[fk.field] = { id: found.id };
    }
  }

  #column(field: string): string {
    return this.def.foreignKeys.find((fk) => fk.field === field)?.column ?? field;
  }
}

/** Kong's PATCH merge: records merge field by field; arrays and scalars are replaced. */
export function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isRecord(value) && isRecord(current) ? deepMerge(current, value) : value;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Kong's code 1 for an id that is not a UUID, on an entity that has no other key. */
function invalidPrimaryKey(): EntityError {
  const fields = { id: 'expected a valid UUID' };
  return new EntityError('INVALID_PRIMARY_KEY', `invalid primary key: '${luaPretty(fields)}'`, fields);
}

/** A bad endpoint key in a PUT URL is Kong's code 10, "invalid unique <field>". */
function uniqueKeyError(err: unknown, field: string): unknown {
  if (!(err instanceof EntityError) || err.kind !== 'SCHEMA_VIOLATION') return err;
  const fieldError = err.fields?.[field];
  if (typeof fieldError !== 'string') return err;
  return new EntityError('INVALID_UNIQUE', fieldError, undefined, `invalid unique ${field}`);
}
