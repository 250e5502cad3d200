module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'rds-iam-proxy',
  rootDir: __dirname,
};
