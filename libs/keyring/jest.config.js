module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'keyring',
  rootDir: __dirname,
};
