/**
 * `gaffer policy get|add-binding|remove-binding`: a project's IAM policy. A change reads
 * the policy and writes it back at the etag it read; if someone changed it meanwhile, the
 * server answers ABORTED and the change is read and applied again (never lost, never
 * applied to a policy it did not see).
 */
import {stringOption} from '../args';
import type {GafferClient} from '../client';
import {ApiError} from '../client';
import {Command, Context, out, positional, printLines, requireProject} from '../command';
import {table, toJson} from '../format';
import {CliError, UsageError} from '../io';
import type {PolicyJson} from '../../wire/iam';

const ACTIONS = ['get', 'add-binding', 'remove-binding'] as const;
type Action = (typeof ACTIONS)[number];
const ATTEMPTS = 5;

export const policyCommand: Command = {
  name: 'policy',
  summary: "show or change a project's IAM policy (who holds which role)",
  usage: 'gaffer policy get | add-binding --role ROLE --member MEMBER | remove-binding --role ROLE --member MEMBER  [--project ID]',
  details: [
    'get                  the project\'s bindings (roles and their members)',
    'add-binding          grant ROLE to MEMBER',
    'remove-binding       take ROLE from MEMBER',
    '--role ROLE          roles/genomics.viewer, roles/genomics.pipelinesRunner, roles/genomics.admin, ...',
    '--member MEMBER      user:EMAIL, serviceAccount:EMAIL, group:NAME, domain:DOMAIN or allAuthenticatedUsers',
  ],
  options: {role: {type: 'string'}, member: {type: 'string'}},
  positionals: ['ACTION'],
  async run(ctx) {
    const project = requireProject(ctx);
    const action = positional(ctx, 0);
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw new UsageError(`ACTION must be ${ACTIONS.join(', ')}, not ${JSON.stringify(action)}`, ctx.usage);
    }
    if (action === 'get') {
      show(ctx, await ctx.client.getIamPolicy(project));
      return 0;
    }
    const role = stringOption(ctx.values, 'role');
    const member = stringOption(ctx.values, 'member');
    if (!role || !member) throw new UsageError(`${action} needs --role and --member`, ctx.usage);
    show(ctx, await change(ctx.client, project, action as Exclude<Action, 'get'>, role, member));
    return 0;
  },
};

async function change(client: GafferClient, project: string, action: 'add-binding' | 'remove-binding', role: string, member: string): Promise<PolicyJson> {
  for (let attempt = 1; ; attempt++) {
    const policy = await client.getIamPolicy(project);
    const bindings = (policy.bindings ?? []).map(b => ({role: b.role, members: [...b.members]}));
    let binding = bindings.find(b => b.role === role);
    if (action === 'add-binding') {
      if (!binding) bindings.push((binding = {role, members: []}));
      if (!binding.members.includes(member)) binding.members.push(member);
    } else {
      if (!binding?.members.includes(member)) throw new CliError(`${member} does not hold ${role} on project ${project}`);
      binding.members = binding.members.filter(m => m !== member);
    }
    try {
      return await client.setIamPolicy(project, {version: 1, bindings: bindings.filter(b => b.members.length > 0), etag: policy.etag});
    } catch (err) {
      // Someone changed the policy since it was read: read it again and reapply this change.
      if (!(err instanceof ApiError && err.status === 'ABORTED') || attempt >= ATTEMPTS) throw err;
    }
  }
}

function show(ctx: Context, policy: PolicyJson): void {
  if (ctx.json) {
    out(ctx, toJson(policy));
    return;
  }
  const rows = (policy.bindings ?? []).flatMap(b => b.members.map(m => [b.role, m]));
  if (rows.length === 0) out(ctx, 'No bindings.');
  else printLines(ctx.io.stdout, table(['ROLE', 'MEMBER'], rows));
}
