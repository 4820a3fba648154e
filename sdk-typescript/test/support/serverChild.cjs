// The reference server in a process of its own, run from its TypeScript sources (SWC), driven
// over IPC: {cmd:'start', options} / {cmd:'stop'}. Tests under jsdom use it, because jsdom's
// timers and globals do not suit a Node server.
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '../../..');
const aliases = {
  '@kalam/link': 'kalam-link/src/index.ts',
  '@kalam/link/protocol': 'kalam-link/src/protocol/index.ts',
  '@kalam/protocol-spec': 'protocol-spec/server/src/index.ts',
};
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolve(request, parent, ...rest) {
  const alias = aliases[request];
  if (alias !== undefined) return path.join(root, alias);
  if (parent?.filename?.endsWith('.ts') && request.startsWith('.') && request.endsWith('.js')) {
    const ts = path.resolve(path.dirname(parent.filename), `${request.slice(0, -3)}.ts`);
    if (fs.existsSync(ts)) return ts;
  }
  return resolveFilename.call(this, request, parent, ...rest);
};
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};

const { startServer } = require('@kalam/protocol-spec');
let server;
process.on('message', async (message) => {
  try {
    if (message.cmd === 'start') {
      server = await startServer(message.options);
      process.send({ id: message.id, ok: true, url: server.url, port: server.port });
    } else if (message.cmd === 'stop') {
      const running = server;
      server = undefined;
      await running?.close();
      process.send({ id: message.id, ok: true });
    }
  } catch (error) {
    process.send({ id: message.id, ok: false, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => {
  void (server?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
process.send({ ready: true });
