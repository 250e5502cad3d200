module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'vaults',
  rootDir: __dirname,
};
