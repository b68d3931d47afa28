// Starts `interlock lsp` for .feature files (see docs/editor.md). Kept to the minimum:
// everything else is the server's.
const fs = require("fs");
const path = require("path");
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function serverCommand(folder) {
  const configured = vscode.workspace.getConfiguration("interlock").get("command") || [];
  if (configured.length > 0) return configured;
  for (const venv of [".venv/bin/interlock", ".venv/Scripts/interlock.exe"]) {
    const candidate = path.join(folder, venv);
    if (fs.existsSync(candidate)) return [candidate, "lsp"];
  }
  return ["interlock", "lsp"];
}

async function activate(context) {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  const [command, ...args] = serverCommand(folder);
  client = new LanguageClient(
    "interlock",
    "interlock",
    { command, args, options: { cwd: folder } },
    { documentSelector: [{ pattern: "**/*.feature" }, { language: "gherkin" }] },
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
