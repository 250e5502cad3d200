module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'net',
  rootDir: __dirname,
};
