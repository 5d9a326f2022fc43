/**
 * `npm run deploy -- --project P --region R [--dry-run]`: creates or updates every
 * resource Gaffer needs on a Google Cloud project you own (docs/deploy.md lists them),
 * then prints the root URL. Safe to re-run; --dry-run prints every command and runs none.
 */
import {join} from 'path';
import {ROOT_FUNCTION} from '../functions/deployment';
import {DeployOptions, USAGE, UsageError, parseDeployArgs} from './deploy/options';
import {functionUrlRef, planDeployment} from './deploy/plan';
import {DeployError, Runner, processExec} from './deploy/run';
import {StageError} from './deploy/stage';

const ROOT = join(__dirname, '../..');

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function summary(options: DeployOptions, runner: Runner): string {
  const url = runner.values.get(functionUrlRef(ROOT_FUNCTION)) ?? `<URL of the ${ROOT_FUNCTION} function>`;
  const lines = [
    '',
    `Gaffer is deployed on ${options.project} (${options.region}).`,
    '',
    `Root URL (every RPC; point clients' rootUrl here):`,
    `  ${options.public ? `https://${options.project}.web.app (Firebase Hosting, in front of ${url})` : url}`,
  ];
  if (!options.public) {
    lines.push(
      '',
      options.invokers.length > 0
        ? `Callers (${options.invokers.join(', ')}, and project Owners) send a Google ID token:`
        : 'Only project Owners may call it until you grant others (re-run with --invoker MEMBER). Callers send a Google ID token:',
      `  curl -H "Authorization: Bearer $(gcloud auth print-identity-token)" ${url}/v2alpha1/projects/${options.project}/operations`,
      'Or, for Google\'s generated clients and a browser, a local proxy that adds your identity:',
      `  gcloud run services proxy ${ROOT_FUNCTION} --region=${options.region} --project=${options.project} --port=8080   # then http://127.0.0.1:8080`,
    );
  }
  lines.push('', `Completions are published to ${options.completionTopic}. Re-run this command to update; docs/deploy.md explains teardown.`);
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  let options: DeployOptions | 'help';
  try {
    options = parseDeployArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    log(`deploy: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const steps = planDeployment(options);
  log(`${options.dryRun ? 'Dry run: printing' : 'Deploying Gaffer to'} project ${options.project}, region ${options.region}: ${steps.length} steps${options.dryRun ? ', nothing is run' : ''}.`);
  const runner = new Runner(options, ROOT, {
    exec: processExec(ROOT),
    log,
    sleep: ms => new Promise(resolve => setTimeout(resolve, ms)),
  });
  try {
    await runner.run(steps);
  } catch (err) {
    if (!(err instanceof DeployError || err instanceof StageError)) throw err;
    log(`\ndeploy failed: ${err.message}\n\nNothing is left half-made that a re-run cannot finish: fix the cause and run the same command again.`);
    return 1;
  }
  if (options.dryRun) {
    log(`\nDry run: ${runner.commands} commands printed, none run.`);
    return 0;
  }
  log(summary(options, runner));
  // The one line a script wants: the root URL, on stdout.
  const url = runner.values.get(functionUrlRef(ROOT_FUNCTION));
  if (url) process.stdout.write(`${options.public ? `https://${options.project}.web.app` : url}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  code => process.exit(code),
  err => {
    console.error(err);
    process.exit(1);
  },
);
