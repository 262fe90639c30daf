// Unit specs beside the code (fakes allowed); chart specs on manifests rendered by the real helm;
// integration specs against the real Kafka, Redis, nginx and app processes that
// test/integration/global-setup.ts starts; the chart on a real Kubernetes control plane; the app
// images under docker; the chaos faults and the quick experiment end to end on stacks of their own.
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  // The k6 scripts' shared logic is plain ES-module JavaScript (k6 runs it as is).
  '^.+/loadtest/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2020', isolatedModules: true } }],
};

// The libs' tsconfig path aliases (@rate/config → libs/config/src …), as tsc-alias rewrites them in dist/.
const moduleNameMapper = { '^@rate/([a-z]+)$': '<rootDir>/libs/$1/src' };
// Run state and tools are never modules: a real node's containerd keeps whole image trees
// (package.json files included) under .run/, which Jest's module map would otherwise crawl.
const modulePathIgnorePatterns = ['<rootDir>/.run/', '<rootDir>/.tools/', '<rootDir>/reports/'];

module.exports = {
  // Integration tests wait for real services (a Kafka restart takes seconds); unit tests never get near it.
  testTimeout: 120000,
  projects: [
    {
      // ESLint and Prettier over the whole tree (test/lint/lint.spec.ts).
      displayName: 'lint',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      modulePathIgnorePatterns,
      testMatch: ['<rootDir>/test/lint/**/*.spec.ts'],
    },
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      modulePathIgnorePatterns,
      testMatch: ['<rootDir>/{apps,libs,scripts,loadtest}/**/*.spec.ts', '<rootDir>/test/*.spec.ts'],
    },
    {
      displayName: 'chart',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      modulePathIgnorePatterns,
      testMatch: ['<rootDir>/test/chart/**/*.spec.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      modulePathIgnorePatterns,
      testMatch: ['<rootDir>/test/integration/**/*.spec.ts'],
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
    },
    {
      // A real control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok nodes)
      // that test/cluster/global-setup.ts starts and global-teardown.ts stops.
      displayName: 'cluster',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      modulePathIgnorePatterns,
      testMatch: ['<rootDir>/test/cluster/**/*.spec.ts'],
      globalSetup: '<rootDir>/test/cluster/global-setup.ts',
      globalTeardown: '<rootDir>/test/cluster/global-teardown.ts',
    },
    {
      // The chart on a real node (containerd, kubelet, kube-proxy, CoreDNS) that
      // test/real/global-setup.ts starts, where the machine can run one (root, cgroups, br_netfilter).
      displayName: 'real',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      modulePathIgnorePatterns,
      testMatch: ['<rootDir>/test/real/**/*.spec.ts'],
      globalSetup: '<rootDir>/test/real/global-setup.ts',
      globalTeardown: '<rootDir>/test/real/global-teardown.ts',
    },
    {
      // The app images from the Dockerfile, run under docker with the chart's pod settings.
      displayName: 'images',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      modulePathIgnorePatterns,
      testMatch: ['<rootDir>/test/images/**/*.spec.ts'],
    },
    {
      // npm run chaos's faults, shorter, on stacks of its own (test/chaos/chaos.spec.ts).
      displayName: 'chaos',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      modulePathIgnorePatterns,
      testMatch: ['<rootDir>/test/chaos/**/*.spec.ts'],
    },
    {
      // npm run soak's short form (2 minutes) on a stack of its own (test/soak/short-soak.spec.ts).
      displayName: 'soak',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      modulePathIgnorePatterns,
      testMatch: ['<rootDir>/test/soak/**/*.spec.ts'],
    },
    {
      displayName: 'experiment',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      modulePathIgnorePatterns,
      testMatch: ['<rootDir>/test/experiment/**/*.spec.ts'],
    },
  ],
};
