/**
 * Migration 0001: the whole tracking, registry, logged-model and audit schema.
 *
 * Children reference their parents with ON DELETE CASCADE, so purging a run or an experiment
 * is one DELETE; registry children also use ON UPDATE CASCADE so renaming a registered model
 * carries its versions, tags and aliases along.
 */
import type { Kysely } from 'kysely';
import type { Engine } from '../dialects/engine.js';

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('experiments')
    .addColumn('experiment_id', engine.identityType, (c) => engine.identity(c))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('artifact_location', 'text', (c) => c.notNull())
    .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
    .addColumn('creation_time', 'bigint', (c) => c.notNull())
    .addColumn('last_update_time', 'bigint', (c) => c.notNull())
    .addColumn('deleted_time', 'bigint')
    .addUniqueConstraint('experiments_name_key', ['name'])
    .execute();

  await engine
    .clusteredTable(
      db.schema
        .createTable('experiment_tags')
        .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('experiment_tags_pk', ['experiment_id', 'key']),
    )
    .execute();

  // run_pk is a compact integer key for the metric tables, the hottest writes: their primary
  // keys lead with it, and an integer compares and stores far cheaper than the 32-char run id.
  await db.schema
    .createTable('runs')
    .addColumn('run_pk', engine.identityType, (c) => engine.identity(c))
    .addColumn('run_id', 'text', (c) => c.notNull().unique())
    .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('start_time', 'bigint')
    .addColumn('end_time', 'bigint')
    .addColumn('artifact_uri', 'text', (c) => c.notNull())
    .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
    .addColumn('deleted_time', 'bigint')
    .execute();
  // Serves the default search order (start_time DESC, run_id) within experiments.
  await db.schema.createIndex('runs_experiment_start_idx').on('runs').columns(['experiment_id', 'start_time', 'run_id']).execute();
  await db.schema.createIndex('runs_deleted_time_idx').on('runs').columns(['lifecycle_stage', 'deleted_time']).execute();

  for (const table of ['run_tags', 'params']) {
    await engine
      .clusteredTable(
        db.schema
          .createTable(table)
          .addColumn('run_id', 'text', (c) => c.notNull().references('runs.run_id').onDelete('cascade'))
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint(`${table}_pk`, ['run_id', 'key']),
      )
      .execute();
  }

  // The primary key covers every column of a point, so identical points are stored once and
  // history reads (run, key ordered by step, timestamp) are one range scan.
  await engine
    .clusteredTable(
      db.schema
        .createTable('metrics')
        .addColumn('run_pk', 'bigint', (c) => c.notNull().references('runs.run_pk').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('step', 'bigint', (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('is_nan', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('metrics_pk', ['run_pk', 'key', 'step', 'timestamp', 'value', 'is_nan']),
    )
    .execute();

  await engine
    .clusteredTable(
      db.schema
        .createTable('latest_metrics')
        .addColumn('run_pk', 'bigint', (c) => c.notNull().references('runs.run_pk').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('step', 'bigint', (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('is_nan', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('latest_metrics_pk', ['run_pk', 'key']),
    )
    .execute();
  // Lets a metric filter or sort start from the key instead of probing every run.
  await db.schema.createIndex('latest_metrics_key_value_idx').on('latest_metrics').columns(['key', 'value', 'run_pk']).execute();

  await db.schema
    .createTable('datasets')
    .addColumn('dataset_id', 'text', (c) => c.primaryKey())
    .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('source_type', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('schema', 'text')
    .addColumn('profile', 'text')
    .addUniqueConstraint('datasets_experiment_name_digest_key', ['experiment_id', 'name', 'digest'])
    .execute();

  await db.schema
    .createTable('run_inputs')
    .addColumn('input_id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.run_id').onDelete('cascade'))
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.dataset_id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addUniqueConstraint('run_inputs_run_dataset_key', ['run_id', 'dataset_id'])
    .execute();
  await db.schema.createIndex('run_inputs_dataset_idx').on('run_inputs').column('dataset_id').execute();

  await engine
    .clusteredTable(
      db.schema
        .createTable('run_input_tags')
        .addColumn('input_id', 'text', (c) => c.notNull().references('run_inputs.input_id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_input_tags_pk', ['input_id', 'key']),
    )
    .execute();

  await db.schema
    .createTable('logged_models')
    .addColumn('model_id', 'text', (c) => c.primaryKey())
    .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('artifact_location', 'text', (c) => c.notNull())
    .addColumn('creation_timestamp_ms', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_timestamp_ms', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_message', 'text')
    .addColumn('model_type', 'text', (c) => c.notNull())
    .addColumn('source_run_id', 'text')
    .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('logged_models_experiment_idx')
    .on('logged_models')
    .columns(['experiment_id', 'creation_timestamp_ms'])
    .execute();

  for (const table of ['logged_model_tags', 'logged_model_params']) {
    await engine
      .clusteredTable(
        db.schema
          .createTable(table)
          .addColumn('model_id', 'text', (c) => c.notNull().references('logged_models.model_id').onDelete('cascade'))
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint(`${table}_pk`, ['model_id', 'key']),
      )
      .execute();
  }

  await engine
    .clusteredTable(
      db.schema
        .createTable('logged_model_metrics')
        .addColumn('model_id', 'text', (c) => c.notNull().references('logged_models.model_id').onDelete('cascade'))
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('step', 'bigint', (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('is_nan', 'integer', (c) => c.notNull())
        .addColumn('dataset_name', 'text')
        .addColumn('dataset_digest', 'text')
        .addPrimaryKeyConstraint('logged_model_metrics_pk', ['model_id', 'key', 'step', 'timestamp', 'run_id', 'value', 'is_nan']),
    )
    .execute();

  await engine
    .clusteredTable(
      db.schema
        .createTable('run_outputs')
        .addColumn('run_id', 'text', (c) => c.notNull().references('runs.run_id').onDelete('cascade'))
        .addColumn('model_id', 'text', (c) => c.notNull().references('logged_models.model_id').onDelete('cascade'))
        .addColumn('step', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_outputs_pk', ['run_id', 'model_id', 'step']),
    )
    .execute();
  await db.schema.createIndex('run_outputs_model_idx').on('run_outputs').column('model_id').execute();

  await db.schema
    .createTable('registered_models')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('last_version', 'bigint', (c) => c.notNull())
    .execute();

  await engine
    .clusteredTable(
      db.schema
        .createTable('registered_model_tags')
        .addColumn('name', 'text', (c) => c.notNull().references('registered_models.name').onDelete('cascade').onUpdate('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('registered_model_tags_pk', ['name', 'key']),
    )
    .execute();

  await db.schema
    .createTable('model_versions')
    .addColumn('name', 'text', (c) => c.notNull().references('registered_models.name').onDelete('cascade').onUpdate('cascade'))
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('current_stage', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('storage_location', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('run_link', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_message', 'text')
    .addColumn('model_id', 'text')
    .addPrimaryKeyConstraint('model_versions_pk', ['name', 'version'])
    .execute();
  await db.schema.createIndex('model_versions_stage_idx').on('model_versions').columns(['name', 'current_stage', 'version']).execute();

  await engine
    .clusteredTable(
      db.schema
        .createTable('model_version_tags')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('model_version_tags_pk', ['name', 'version', 'key'])
        .addForeignKeyConstraint('model_version_tags_fk', ['name', 'version'], 'model_versions', ['name', 'version'], (fk) =>
          fk.onDelete('cascade').onUpdate('cascade'),
        ),
    )
    .execute();

  await engine
    .clusteredTable(
      db.schema
        .createTable('registered_model_aliases')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('alias', 'text', (c) => c.notNull())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('registered_model_aliases_pk', ['name', 'alias'])
        .addForeignKeyConstraint('registered_model_aliases_fk', ['name', 'version'], 'model_versions', ['name', 'version'], (fk) =>
          fk.onDelete('cascade').onUpdate('cascade'),
        ),
    )
    .execute();
  await db.schema.createIndex('registered_model_aliases_version_idx').on('registered_model_aliases').columns(['name', 'version']).execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', engine.identityType, (c) => engine.identity(c))
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text')
    .addColumn('entity_id', 'text')
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('before_json', 'text')
    .addColumn('after_json', 'text')
    .addColumn('request_id', 'text')
    .execute();
  await db.schema.createIndex('audit_log_entity_idx').on('audit_log').columns(['entity_type', 'entity_id', 'id']).execute();
}
