module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'hcv',
  rootDir: __dirname,
};
