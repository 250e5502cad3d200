// The launcher of a tool's `bin` script: runs the built `main` of `cli`, or says to build first.
module.exports = function runBuilt(name, cli) {
  try {
    require.resolve(cli);
  } catch {
    process.stderr.write(`${name} is not built yet: run \`npm run build\` in the repository first\n`);
    process.exit(1);
  }
  require(cli)
    .main(process.argv.slice(2))
    .catch((error) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
};
