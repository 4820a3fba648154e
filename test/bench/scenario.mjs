/**
 * One measurement in its own process (fresh heap, fresh server), so runs don't disturb each
 * other. Forked by run.mjs with the scenario as JSON in argv[2]; replies with its result over IPC.
 */
const spec = JSON.parse(process.argv[2]);

async function main() {
  switch (spec.kind) {
    case 'fanout': {
      const { runFanout } = await import('./lib/fanout.mjs');
      return runFanout({ ...spec, module: new URL(`./transports/${spec.transport}.mjs`, import.meta.url).href });
    }
    default: {
      const mod = await import(new URL(`./scenarios/${spec.kind}.mjs`, import.meta.url).href);
      return mod.run(spec);
    }
  }
}

main().then(
  (result) => { process.send({ ok: true, result }, () => process.exit(0)); },
  (err) => { process.send({ ok: false, error: String(err?.stack ?? err) }, () => process.exit(0)); },
);
