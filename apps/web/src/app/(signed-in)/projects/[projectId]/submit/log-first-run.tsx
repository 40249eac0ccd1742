// For a project Tuneboard cannot train (declared or inferred schema): how to log runs from your own script,
// instead of the built-in trainer's form.
import Link from 'next/link';
import { CopyButton } from './copy-button';
import { configText, exampleConfig, shellWord, type SnippetPath } from './first-run-snippets';

export function LogFirstRun({
  project,
  apiUrl,
}: {
  project: { id: string; name: string; runCount: number; hparamSchema: { kind: string; version?: number | null; paths: readonly SnippetPath[] } };
  apiUrl: string;
}) {
  const schema = project.hparamSchema;
  const config = exampleConfig(schema.paths);
  const configJson = configText(config, schema.paths);
  const name = shellWord(project.name);
  const declared = schema.kind === 'DECLARED';
  const command = `npx tuneboard run --project ${name} --config config.json -- python train.py`;
  const sdk = `import { init } from '@tuneboard/sdk';

const config = ${configJson};
const run = await init({ project: ${JSON.stringify(project.name)}, config });
for (let step = 1; step <= steps; step++) {
  const loss = trainOneStep(config);
  run.log({ 'train/loss': loss }, step);
}
await run.finish(); // flushes the metrics, marks the run succeeded`;
  return (
    <div className="stack" data-testid="log-first-run">
      <p>
        This project&apos;s schema is <strong>{declared ? `declared (version ${schema.version ?? '?'})` : 'inferred'}</strong>, so Tuneboard&apos;s workers do
        not train its runs: your own training script does, and reports its configuration and metrics here.{' '}
        {declared
          ? 'Each config is validated against the declared JSON Schema; a config that breaks it is refused with the path of every problem.'
          : "Any JSON config is accepted; each hyperparameter's type is learned from the runs (2 is an integer, 2.0 a float)."}
      </p>

      <section className="panel" aria-labelledby="setup-heading">
        <h2 id="setup-heading">1. Point your shell at Tuneboard</h2>
        <p>
          Create a token on the <Link href="/tokens">tokens page</Link>, then:
        </p>
        <pre className="snippet" aria-label="Environment">{`export TUNEBOARD_API_URL=${apiUrl}\nexport TUNEBOARD_TOKEN=tb_…   # your token`}</pre>
      </section>

      <section className="panel" aria-labelledby="cli-heading">
        <h2 id="cli-heading">2. Wrap your script with tuneboard run</h2>
        <p>
          Save the run&apos;s hyperparameters as <code>config.json</code>
          {schema.paths.length > 0 ? ' (this example follows the project’s schema)' : ''}:
        </p>
        <pre className="snippet" aria-label="config.json" data-testid="example-config">
          {configJson}
        </pre>
        <CopyButton text={configJson} what="config.json" />
        <p>
          Then start your script through Tuneboard. It creates the run, hands the script its config (the file&apos;s path in <code>TUNEBOARD_CONFIG_FILE</code>,
          the JSON in <code>TUNEBOARD_CONFIG</code>; <code>--set optimizer.lr=3e-4</code> overrides one value), keeps its output as the run&apos;s console log
          and samples CPU, memory and GPUs:
        </p>
        <pre className="snippet" aria-label="tuneboard run command" data-testid="cli-snippet">
          {command}
        </pre>
        <CopyButton text={command} what="the command" />
        <p>
          Your script reports metrics by printing one JSON object per line on standard output, a <code>step</code> and any number of metric values; other lines
          are kept as the run&apos;s console log:
        </p>
        <pre className="snippet" aria-label="Metrics printed as JSON lines" data-testid="jsonl-snippet">
          {`{"step": 10, "train/loss": 0.31}\n{"step": 20, "train/loss": 0.27, "val/accuracy": 0.84}`}
        </pre>
        <p className="muted small">
          In Python:{' '}
          <code>
            print(json.dumps({'{'}&quot;step&quot;: step, &quot;train/loss&quot;: loss{'}'}), flush=True)
          </code>
          . The run ends succeeded when the script exits 0, failed on any other exit code, cancelled on Ctrl-C; if the API is unreachable everything waits on
          disk until <code>tuneboard sync</code>. With more than one team, add <code>--team &lt;team&gt;</code>.
        </p>
      </section>

      <section className="panel" aria-labelledby="sdk-heading">
        <h2 id="sdk-heading">Or log from TypeScript with the SDK</h2>
        <pre className="snippet" aria-label="SDK example" data-testid="sdk-snippet">
          {sdk}
        </pre>
        <CopyButton text={sdk} what="the SDK example" />
        <p className="muted small">
          <code>init</code> sends the config as JSON text, so a float stays a float; metrics go out in the background in batches, and a heartbeat every 30 s
          keeps the run from being marked lost.
        </p>
      </section>

      <p>
        {project.runCount === 0 ? 'Once the first run is logged it appears ' : 'Logged runs appear '}
        in the <Link href={`/projects/${project.id}`}>runs table</Link>; the <Link href={`/projects/${project.id}/schema`}>schema page</Link> lists every
        hyperparameter path with its type and the values seen.
      </p>
    </div>
  );
}
