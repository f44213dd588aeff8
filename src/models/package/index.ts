/** The model package format: MLmodel, signatures, input examples and the execution environment. */
export * from './signature.js';
export * from './mlmodel.js';
export * from './environment.js';
export * from './input.js';
export * from './package.js';
