module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'proxy',
  rootDir: __dirname,
};
