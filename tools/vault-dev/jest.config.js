module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'vault-dev',
  rootDir: __dirname,
};
