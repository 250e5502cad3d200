module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'vault-resolver',
  rootDir: __dirname,
};
