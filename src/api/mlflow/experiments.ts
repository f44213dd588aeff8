import { z } from 'zod';
import { notFound } from '../../core/errors.js';
import { parseExperimentFilter, parseExperimentOrderBy } from '../../store/filter/index.js';
import {
  EXPERIMENTS_DEFAULT_MAX_RESULTS,
  EXPERIMENTS_MAX_RESULTS,
  resolveMaxResults,
  validateArtifactLocation,
  validateExperimentId,
  validateExperimentName,
  validateExperimentTag,
} from '../../tracking/index.js';
import type { ApiContext } from '../context.js';
import { intLike, listOf, parseInput, tagSchema } from '../input.js';
import { experimentToWire, foldQueryLists, idString, pageToWire, requiredString, viewType } from './wire.js';

const ExperimentId = z.object({ experiment_id: idString });

const CreateExperiment = z.object({
  name: z.string(),
  artifact_location: z.string().nullish(),
  tags: z.array(tagSchema).nullish(),
});

const SearchExperiments = z.object({
  max_results: intLike.optional(),
  view_type: viewType,
  filter: z.string().nullish(),
  order_by: listOf(z.string()).optional(),
  page_token: z.string().nullish(),
});

const ListExperiments = z.object({
  view_type: viewType,
  max_results: intLike.optional(),
  page_token: z.string().nullish(),
});

const UpdateExperiment = z.object({ experiment_id: idString, new_name: z.string().nullish() });

const SetExperimentTag = z.object({
  experiment_id: idString,
  key: z.string(),
  value: z.string().nullish().transform((v) => v ?? ''),
});

const DeleteExperimentTag = z.object({ experiment_id: idString, key: requiredString });

/** Parse an experiment id field and check its form before it reaches the store. */
function experimentIdOf(json: unknown): string {
  const { experiment_id } = parseInput(ExperimentId, json);
  validateExperimentId(experiment_id);
  return experiment_id;
}

/** MLflow's experiment endpoints (mlflow-wire.md §3 Experiments, §4.1). */
export function registerExperimentRoutes(ctx: ApiContext): void {
  const { store } = ctx;

  ctx.mlflow('GET', '/experiments/get-by-name', async (req) => {
    const { experiment_name } = parseInput(z.object({ experiment_name: requiredString }), req.json);
    const experiment = await store.getExperimentByName(experiment_name);
    // The 404 is what makes `mlflow.set_experiment` go on to create the experiment.
    if (experiment === null) throw notFound(`Could not find experiment with name '${experiment_name}'`);
    return { experiment: experimentToWire(experiment) };
  });

  ctx.mlflow('POST', '/experiments/create', async (req) => {
    const input = parseInput(CreateExperiment, req.json);
    validateExperimentName(input.name);
    if (input.artifact_location) validateArtifactLocation(input.artifact_location);
    const tags = input.tags ?? [];
    tags.forEach((t, i) => validateExperimentTag(t, `tags.${i}.`));
    const experimentId = await store.createExperiment({
      name: input.name,
      artifactLocation: input.artifact_location || undefined,
      tags,
    });
    req.audit = { entityType: 'experiment', entityId: experimentId };
    return { experiment_id: experimentId };
  });

  ctx.mlflow('GET', '/experiments/get', async (req) => {
    const experiment = await store.getExperiment(experimentIdOf(req.json));
    return { experiment: experimentToWire(experiment) };
  });

  const search: Parameters<ApiContext['mlflow']>[2] = async (req) => {
    const input = parseInput(SearchExperiments, req.method === 'GET' ? foldQueryLists(req.json) : req.json);
    const page = await store.searchExperiments({
      viewType: input.view_type,
      filter: parseExperimentFilter(input.filter),
      orderBy: parseExperimentOrderBy(input.order_by),
      maxResults: resolveMaxResults(input.max_results, EXPERIMENTS_DEFAULT_MAX_RESULTS, EXPERIMENTS_MAX_RESULTS),
      pageToken: input.page_token || undefined,
    });
    return pageToWire('experiments', page.items.map(experimentToWire), page.nextPageToken);
  };
  ctx.mlflow('POST', '/experiments/search', search);
  ctx.mlflow('GET', '/experiments/search', search);

  // MLflow 1.x's list endpoint, gone from MLflow 2 but still called by older clients (the npm
  // `mlflow` package among them): a search without filter or order.
  ctx.mlflow('GET', '/experiments/list', async (req) => {
    const input = parseInput(ListExperiments, req.json);
    const page = await store.searchExperiments({
      viewType: input.view_type,
      filter: [],
      orderBy: [],
      maxResults: resolveMaxResults(input.max_results, EXPERIMENTS_MAX_RESULTS, EXPERIMENTS_MAX_RESULTS),
      pageToken: input.page_token || undefined,
    });
    return pageToWire('experiments', page.items.map(experimentToWire), page.nextPageToken);
  });

  ctx.mlflow('POST', '/experiments/update', async (req) => {
    const input = parseInput(UpdateExperiment, req.json);
    validateExperimentId(input.experiment_id);
    req.audit = { entityType: 'experiment', entityId: input.experiment_id };
    // MLflow renames only when a new name is given; an absent one is a no-op, not an error.
    if (input.new_name == null) {
      await store.getExperiment(input.experiment_id);
      return {};
    }
    validateExperimentName(input.new_name, 'new_name');
    await store.renameExperiment(input.experiment_id, input.new_name);
    return {};
  });

  ctx.mlflow('POST', '/experiments/delete', async (req) => {
    const experimentId = experimentIdOf(req.json);
    req.audit = { entityType: 'experiment', entityId: experimentId };
    await store.deleteExperiment(experimentId);
    return {};
  });

  ctx.mlflow('POST', '/experiments/restore', async (req) => {
    const experimentId = experimentIdOf(req.json);
    req.audit = { entityType: 'experiment', entityId: experimentId };
    await store.restoreExperiment(experimentId);
    return {};
  });

  ctx.mlflow('POST', '/experiments/set-experiment-tag', async (req) => {
    const input = parseInput(SetExperimentTag, req.json);
    validateExperimentId(input.experiment_id);
    const tag = { key: input.key, value: input.value };
    validateExperimentTag(tag);
    req.audit = { entityType: 'experiment', entityId: input.experiment_id };
    await store.setExperimentTag(input.experiment_id, tag);
    return {};
  });

  ctx.mlflow('POST', '/experiments/delete-experiment-tag', async (req) => {
    const input = parseInput(DeleteExperimentTag, req.json);
    validateExperimentId(input.experiment_id);
    req.audit = { entityType: 'experiment', entityId: input.experiment_id };
    await store.deleteExperimentTag(input.experiment_id, input.key);
    return {};
  });
}
