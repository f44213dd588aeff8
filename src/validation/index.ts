/**
 * Validation: MetricThreshold gates, champion/challenger comparison, deployment of the validated
 * version, and compliance checks on a registered model version.
 */
export {
  assertValid,
  metricThreshold,
  MetricThresholdSchema,
  thresholdFromInput,
  thresholdToInput,
  validateMetrics,
  type MetricThreshold,
  type MetricThresholdInput,
  type MetricThresholdOptions,
  type MetricValidationResult,
  type ValidateOptions,
  type ValidationResult,
} from './thresholds.js';
export {
  complianceRulesFromInput,
  defaultProjectConfig,
  gateSettingsFromInput,
  loadProjectConfig,
  parseProjectConfig,
  PROJECT_FILE_NAMES,
  VALIDATION_MODES,
  type ComplianceRules,
  type SensitiveFeaturesRule,
  type GateSettings,
  type ProjectConfig,
  type ValidationMode,
} from './config.js';
export {
  authoredDescription,
  COMPLIANCE_RULES,
  DESCRIPTION_SEPARATOR,
  formatComplianceReport,
  runComplianceChecks,
  type ComplianceCheck,
  type ComplianceReport,
  type ComplianceRule,
  type ComplianceSubject,
  type EnvironmentFacts,
  type FeatureLineageFacts,
  type SensitiveUse,
  sensitiveUses,
  type PackageFacts,
} from './compliance.js';
export { loadComplianceSubject, packageFactsFromMLmodel, featureLineageFromSpec, recordComplianceReport } from './subject.js';
export {
  assertPromotable,
  checkPromotion,
  isGuardedPromotion,
  promotionBlockers,
  type PromotionCheck,
  type PromotionOptions,
  type PromotionTarget,
} from './promotion.js';
export {
  assertGatePassed,
  findBaseline,
  formatMetricsComparison,
  formatThresholds,
  GATE_RESULT_ARTIFACT,
  runGate,
  runLinkFor,
  type Evaluation,
  type EvaluationContext,
  type Evaluator,
  type GateOptions,
  type GateResult,
  type GateStatus,
  type ValidationCompletedEvent,
} from './gate.js';
export { deployVersion, type DeployResult } from './deploy.js';
export { readValidationResults, type RecordedCompliance, type RecordedGate, type ValidationResults } from './results.js';
export { checkDatasetRef, dataEvaluator, datasetEvaluator, gateData, type GateData } from './evaluator.js';
