import { quoteIdent, type Database } from '@keygate/db';
import type { EntityDefinition } from '../definition';
import { EntityError } from '../schema/errors';
import { tag } from '../schema/fields';
import { decodeOffsetKeys, encodeOffsetKeys, parseSize } from './pagination';
import { isUuid } from './uuid';

/** One row of Kong's `tags` view: a tag of one entity. */
export type TagRow = {
  readonly tag: string;
  readonly entity_name: string;
  readonly entity_id: string;
};

export interface TagPage {
  readonly data: TagRow[];
  readonly offset?: string;
}

/** Entities with a `tags` field: each of them is listed by `/tags`. */
export function taggedDefinitions(definitions: readonly EntityDefinition[]): EntityDefinition[] {
  return definitions.filter((def) => 'tags' in def.schema.shape);
}

/**
 * Kong's `/tags` and `/tags/{tag}`: every (tag, entity) pair across the tagged entities, ordered
 * by tag, entity name and id, paginated by that key. Read from the entities' `tags` columns, so
 * an entity added to the store is listed without a table of its own.
 */
export class TagsDao {
  readonly #names: ReadonlySet<string>;

  constructor(
    private readonly db: Database,
    private readonly definitions: readonly EntityDefinition[],
  ) {
    this.#names = new Set(definitions.map((def) => def.name));
  }

  async page(query: { tag?: string; size?: unknown; offset?: unknown }): Promise<TagPage> {
    if (query.tag !== undefined) {
      // Kong's `page_by_tag`: a tag that no entity could carry is code 10, `invalid unique tag`.
      const checked = tag().safeParse(query.tag);
      if (!checked.success) throw new EntityError('INVALID_UNIQUE', checked.error.issues[0]?.message ?? 'invalid tag', undefined, 'invalid unique tag');
    }
    const size = parseSize(query.size);
    const after = decodeOffsetKeys(query.offset, 3, (key, i) => (i === 1 ? this.#names.has(key) : i === 2 ? isUuid(key) : true));
    if (this.definitions.length === 0) return { data: [] };
    const values: unknown[] = [];
    let tagFilter = '';
    const where: string[] = [];
    if (query.tag !== undefined) {
      values.push([query.tag], query.tag);
      // The GIN index on `tags` narrows each table; the outer filter drops the entity's other tags.
      tagFilter = ' WHERE tags @> $1::text[]';
      where.push('tag = $2');
    }
    // One collation for ORDER BY and for the offset comparison, whatever the database default.
    const union = this.definitions
      .map((def) => `SELECT unnest(tags) COLLATE "C" AS tag, ${quoteLiteral(def.name)}::text COLLATE "C" AS entity_name, id::text COLLATE "C" AS entity_id FROM ${quoteIdent(def.name)}${tagFilter}`)
      .join(' UNION ALL ');
    if (after) {
      values.push(...after);
      const n = values.length;
      where.push(`(tag, entity_name, entity_id) > ($${n - 2}, $${n - 1}, $${n})`);
    }
    values.push(size + 1);
    const sql =
      `SELECT tag, entity_name, entity_id FROM (${union}) t${where.length ? ` WHERE ${where.join(' AND ')}` : ''}` +
      ` ORDER BY tag, entity_name, entity_id LIMIT $${values.length}`;
    const rows = (await this.db.query<TagRow>(sql, values)).rows;
    const data = rows.slice(0, size).map((row) => ({ entity_name: row.entity_name, entity_id: row.entity_id, tag: row.tag }));
    const last = data[data.length - 1];
    return rows.length > size && last ? { data, offset: encodeOffsetKeys([last.tag, last.entity_name, last.entity_id]) } : { data };
  }
}

/** Entity names are ours (`[a-z_]`), but quoted as literals all the same. */
function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
