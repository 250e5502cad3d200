module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'keyring-broker',
  rootDir: __dirname,
};
