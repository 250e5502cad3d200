module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'aws-emulator',
  rootDir: __dirname,
};
