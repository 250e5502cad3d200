module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'proxy-lib',
  rootDir: __dirname,
};
