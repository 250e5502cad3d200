// One jest run over every project (what `npm test` runs after building).
const { getJestProjectsAsync } = require('@nx/jest');

module.exports = async () => ({
  projects: await getJestProjectsAsync(),
  // Integration suites mostly wait on child processes and sockets, so more workers than cores
  // pays off; each file isolates itself (own database, own ports, own Redis prefix).
  maxWorkers: 3,
  // A global option: in a run over every project the projects' own value is not read.
  testTimeout: require('./jest.preset.js').testTimeout,
  passWithNoTests: true,
});
