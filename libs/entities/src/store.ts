import type { Database } from '@keygate/db';
import type { EntityDefinition, ForeignKey } from './definition';
import { EntityDao } from './dao/dao';
import { TagsDao, taggedDefinitions } from './dao/tags';
import { certificates } from './definitions/certificates';
import { consumers } from './definitions/consumers';
import { basicAuthCredentials, keyAuthCredentials } from './definitions/credentials';
import { pluginsDefinition } from './definitions/plugins';
import { routes } from './definitions/routes';
import { services } from './definitions/services';
import { caCertificates, snis } from './definitions/snis';
import { targets } from './definitions/targets';
import { upstreams } from './definitions/upstreams';
import { vaultsDefinition } from './definitions/vaults';
import { PluginRegistry } from './plugins/registry';
import { plainFields, type FieldProtector } from './ports';
import type { ChangeSink } from './changes';

/** A parent -> children relation the Admin API nests (`/services/{s}/routes`). */
export interface Relation {
  readonly parent: EntityDefinition;
  readonly child: EntityDefinition;
  readonly foreignKey: ForeignKey;
}

export function coreDefinitions(plugins: PluginRegistry): EntityDefinition[] {
  return [services, routes, consumers, pluginsDefinition(plugins), basicAuthCredentials, keyAuthCredentials, certificates, vaultsDefinition(), snis, caCertificates, upstreams, targets];
}

/** The Admin API path of an entity's collection (`basic-auths` for basicauth_credentials). */
export function collectionPath(def: EntityDefinition): string {
  return def.collectionPath ?? def.name;
}

/** All entity DAOs of a node, over one database. */
export class EntityStore {
  readonly #daos = new Map<string, EntityDao>();
  #tags: TagsDao | undefined;

  constructor(
    readonly db: Database,
    readonly plugins: PluginRegistry,
    /** Encrypts the fields entities declare as encrypted (the keyring), or stores them as they are. */
    readonly protector: FieldProtector = plainFields,
    /** Announces each committed write (the bus), so proxies apply it within milliseconds. */
    announce?: ChangeSink,
    definitions: readonly EntityDefinition[] = coreDefinitions(plugins),
  ) {
    for (const def of definitions) {
      this.#daos.set(def.name, new EntityDao(def, db, (name) => this.#daos.get(name), protector, announce));
    }
  }

  dao(name: string): EntityDao {
    const dao = this.#daos.get(name);
    if (!dao) throw new Error(`no entity named ${name}`);
    return dao;
  }

  has(name: string): boolean {
    return this.#daos.has(name);
  }

  definitions(): EntityDefinition[] {
    return [...this.#daos.values()].map((dao) => dao.def);
  }

  /** Kong's `/tags` over every entity of this store that has `tags`. */
  tags(): TagsDao {
    this.#tags ??= new TagsDao(this.db, taggedDefinitions(this.definitions()));
    return this.#tags;
  }

  /** Every foreign key whose parent entity is also in this store. */
  relations(): Relation[] {
    return this.definitions().flatMap((child) =>
      child.foreignKeys
        .filter((fk) => this.#daos.has(fk.entity))
        .map((foreignKey) => ({ parent: this.dao(foreignKey.entity).def, child, foreignKey })),
    );
  }
}
