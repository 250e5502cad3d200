import { fieldKeyId } from '@keygate/crypto';
import type { Queryable } from '@keygate/db';
import { fromRow, getPath, encryptedPaths, revealEntity, type Entity, type EntityDefinition, type FieldProtector } from '@keygate/entities';
import type { Logger } from '@keygate/logging';
import type { EntityCompiler } from '../state/compile';
import { TABLE_NAMES, type TableName, type Tables } from '../state/types';

/** A row the proxy could not use (its encrypted field names a key it lacks, or fails authentication). */
export interface SkippedRow {
  readonly table: TableName;
  readonly id: string;
  readonly key_id: string | null;
  readonly code: string;
}

/**
 * Values refused by policy, not unreadable: a weaker format (`$ke$1$` under a Keygate key,
 * plaintext) where `$ke$2$` belongs, i.e. a forgery or an unfinished migration. Logged at warn.
 */
const REFUSED = new Set(['LEGACY_FORMAT_REFUSED', 'PLAINTEXT_REFUSED']);

/** Tables whose fields may be `{vault://...}` references the proxy resolves (Kong's referenceable fields it serves). */
const REFERENCEABLE: ReadonlySet<TableName> = new Set(['certificates']);
const REFERENCE = /^\{vault:\/\/[^}]+\}$/;

/** Skipped rows logged one by one; beyond this they are counted and summed up per load. */
const LOGGED_ROWS = 20;

export interface LoaderOptions {
  readonly db: Queryable;
  /** Decrypts encrypted fields: the keyring's, without waiting for keys from peers (a missing key fails at once). */
  readonly protector: FieldProtector;
  readonly definitions: ReadonlyMap<TableName, EntityDefinition>;
  readonly compiler: EntityCompiler;
  readonly logger: Logger;
  /**
   * Resolves `{vault://...}` references in an entity (through the vault-resolver); returns
   * undefined when one cannot be resolved (the resolver's client logs it). Without it, an
   * entity holding a reference is skipped.
   */
  readonly resolveReferences?: (entity: Entity, label: string) => Promise<Entity | undefined>;
  /** Rows per query when loading a whole table (keyset pagination). */
  readonly pageSize?: number;
}

export type Loaded<T extends TableName> = { readonly found: true; readonly value: Tables[T] } | { readonly found: false; readonly skipped?: SkippedRow };

/**
 * Reads the proxy's entities from PostgreSQL, decrypting each encrypted field once. A row that
 * cannot be decrypted is skipped (and logged once, with table, row and key id, never the value);
 * everything else keeps loading. Every query goes through `queries`, the counter that shows the
 * request path never reaches the database.
 */
export class StateLoader {
  readonly #db: Queryable;
  readonly skipped = new Map<string, SkippedRow>();
  readonly #logged = new Set<string>();
  /** `table:id` -> the references its entity holds (to read it again when one changes). */
  readonly references = new Map<string, ReadonlySet<string>>();
  #unlogged = 0;
  queries = 0;

  constructor(private readonly options: LoaderOptions) {
    this.#db = {
      query: (text, values) => {
        this.queries++;
        return options.db.query(text, values);
      },
    };
  }

  /** Every table, page by page. */
  async loadAll(): Promise<{ [T in TableName]: Array<Tables[T]> }> {
    const out: Record<string, unknown[]> = {};
    for (const table of TABLE_NAMES) {
      const values: unknown[] = [];
      let after = '00000000-0000-0000-0000-000000000000';
      for (;;) {
        const { rows } = await this.#db.query(`SELECT * FROM ${table} WHERE id > $1 ORDER BY id LIMIT $2`, [after, this.options.pageSize ?? 1000]);
        for (const row of rows) {
          const loaded = await this.#compile(table, row);
          if (loaded.found) values.push(loaded.value);
        }
        if (rows.length < (this.options.pageSize ?? 1000)) break;
        after = String(rows[rows.length - 1]!.id);
      }
      out[table] = values;
    }
    this.#logUnlogged();
    return out as { [T in TableName]: Array<Tables[T]> };
  }

  #logUnlogged(): void {
    if (this.#unlogged === 0) return;
    const byKey: Record<string, number> = {};
    for (const row of this.skipped.values()) byKey[`${row.table}/${row.key_id ?? 'none'}/${row.code}`] = (byKey[`${row.table}/${row.key_id ?? 'none'}/${row.code}`] ?? 0) + 1;
    this.options.logger.error({ more: this.#unlogged, skipped_total: this.skipped.size, by_table_key_code: byKey }, `proxy: skipped ${this.#unlogged} more rows whose encrypted field cannot be read (the first ${LOGGED_ROWS} were logged one by one); other rows are served`);
    this.#unlogged = 0;
  }

  /** The current rows of these ids (one query); ids without a row are not found. */
  async loadMany<T extends TableName>(table: T, ids: readonly string[]): Promise<Map<string, Loaded<T>>> {
    const { rows } = await this.#db.query(`SELECT * FROM ${table} WHERE id = ANY($1::uuid[])`, [ids]);
    const out = new Map<string, Loaded<T>>(ids.map((id) => [id, { found: false }]));
    for (const row of rows) out.set(String(row.id), await this.#compile(table, row));
    this.#logUnlogged();
    return out;
  }

  async #compile<T extends TableName>(table: T, row: Record<string, unknown>): Promise<Loaded<T>> {
    const def = this.options.definitions.get(table)!;
    const stored = fromRow(def, row);
    const key = `${table}:${stored.id}`;
    try {
      let entity = await revealEntity(def, stored, this.options.protector);
      if (REFERENCEABLE.has(table)) entity = await this.#resolve(table, entity, key);
      const value = this.options.compiler.compile(table, entity, row);
      this.skipped.delete(key);
      return { found: true, value };
    } catch (err) {
      const skipped = this.#skip(table, def, stored, err);
      const placeholder = this.#unavailable(table, stored, skipped);
      return placeholder ? { found: true, value: placeholder } : { found: false, skipped };
    }
  }

  /**
   * A basic-auth credential whose password is under a key this node lacks is still held, without
   * any secret, so its username answers 503 "key not available" (the operator's problem, said
   * clearly) instead of 401. The row stays listed as skipped and is read again when a key arrives.
   * Key-auth keys are the encrypted value itself: nothing to look them up by, so they are skipped.
   */
  #unavailable<T extends TableName>(table: T, stored: Record<string, unknown> & { id: string }, skipped: SkippedRow): Tables[T] | undefined {
    if (table !== 'basicauth_credentials' || skipped.code !== 'KEY_NOT_AVAILABLE' || !skipped.key_id) return undefined;
    const consumerId = (stored.consumer as { id?: unknown } | null | undefined)?.id;
    if (typeof stored.username !== 'string' || typeof consumerId !== 'string') return undefined;
    const value: Tables['basicauth_credentials'] = { id: stored.id, consumer_id: consumerId, username: stored.username, digest: '', algorithm: 'sha1', unavailable_key_id: skipped.key_id };
    return value as Tables[T];
  }

  async #resolve(table: TableName, entity: Entity, key: string): Promise<Entity> {
    const found = Object.values(entity).filter((v): v is string => typeof v === 'string' && REFERENCE.test(v.trim()));
    if (found.length === 0) {
      this.references.delete(key);
      return entity;
    }
    this.references.set(key, new Set(found));
    const resolved = await this.options.resolveReferences?.(entity, `${table} ${entity.id}`);
    if (!resolved) throw Object.assign(new Error('a {vault://...} reference of this entity cannot be resolved'), { code: 'REFERENCE_UNRESOLVED' });
    return resolved;
  }

  /** Rows holding any of these references (`all`: any reference), as `table` and ids. */
  usingReferences(references: ReadonlySet<string> | 'all'): Map<TableName, string[]> {
    const out = new Map<TableName, string[]>();
    for (const [key, held] of this.references) {
      if (references !== 'all' && ![...held].some((r) => references.has(r))) continue;
      const colon = key.indexOf(':');
      const table = key.slice(0, colon) as TableName;
      out.set(table, [...(out.get(table) ?? []), key.slice(colon + 1)]);
    }
    return out;
  }

  /** Ids of the keys that skipped rows need and this node does not hold. */
  missingKeys(): string[] {
    return [...new Set([...this.skipped.values()].flatMap((row) => (row.code === 'KEY_NOT_AVAILABLE' && row.key_id ? [row.key_id] : [])))];
  }

  #skip(table: TableName, def: EntityDefinition, stored: Record<string, unknown> & { id: string }, err: unknown): SkippedRow {
    const encrypted = encryptedPaths(def, stored).map((p) => getPath(stored, p)).find((v): v is string => typeof v === 'string' && fieldKeyId(v) !== undefined);
    const keyId = (err as { keyId?: string }).keyId ?? (encrypted ? (fieldKeyId(encrypted) ?? null) : null);
    const code = (err as { code?: unknown }).code;
    const skipped: SkippedRow = { table, id: stored.id, key_id: keyId, code: typeof code === 'string' ? code : 'UNREADABLE' };
    const field = (err as { field?: unknown }).field;
    this.skipped.set(`${table}:${stored.id}`, skipped);
    const once = `${table}:${stored.id}:${keyId}:${skipped.code}`;
    if (this.#logged.has(once)) return skipped;
    // Each row once, the first LOGGED_ROWS of them; then counted, and summed up per load (a
    // missing key can make a whole table unreadable: 100,000 lines would bury everything else).
    if (this.#logged.size >= LOGGED_ROWS) {
      this.#unlogged++;
      return skipped;
    }
    this.#logged.add(once);
    const refused = REFUSED.has(skipped.code);
    this.options.logger[refused ? 'warn' : 'error'](
      { table, row_id: stored.id, field: typeof field === 'string' ? field : null, key_id: keyId, code: skipped.code, reason: (err as Error).message },
      refused
        ? 'proxy: skipped a row whose encrypted field holds a format refused in place of $ke$2$ (forged, or an unfinished migration); other rows are served'
        : 'proxy: skipped a row whose encrypted field cannot be read; other rows are served',
    );
    return skipped;
  }
}
