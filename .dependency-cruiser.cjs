/** Layering rules: dependencies point one way, core <- store/artifacts <- domain <- api/serving/cli. */
const domain = '(tracking|registry|data|models|validation|pipelines|serving|monitoring|governance)';
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    { name: 'core-imports-nothing', severity: 'error', from: { path: '^src/core/' }, to: { path: '^src/(?!core/)' } },
    { name: 'store-below-domain', severity: 'error', from: { path: '^src/(store|artifacts)/' }, to: { path: `^src/(${domain.slice(1, -1)}|api|cli|client)/` } },
    { name: 'domain-below-api', severity: 'error', from: { path: `^src/${domain}/` }, to: { path: '^src/(api|cli)/' } },
    { name: 'client-is-standalone', severity: 'error', comment: 'The SDK talks HTTP only; it imports no server code.', from: { path: '^src/client/' }, to: { path: '^src/(?!client/|core/errors|core/wire)' } },
    { name: 'web-is-standalone', severity: 'error', comment: 'The web UI talks HTTP only; it imports no server code.', from: { path: '^web/' }, to: { path: '^src/' } },
    {
      name: 'domain-through-index',
      severity: 'error',
      comment: 'Domain folders use each other only through their index.ts.',
      from: { path: `^src/${domain}/` },
      to: { path: `^src/${domain}/(?!index\\.ts$)`, pathNot: `^src/$1/` },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
};
