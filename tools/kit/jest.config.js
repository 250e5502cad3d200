module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'tool-kit',
  rootDir: __dirname,
};
