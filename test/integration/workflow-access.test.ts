/**
 * Workflows behind the API's access rules. A parent's children live in their own family: its
 * watch shows how many there are and how they ended, never their data; reaching a child, or the
 * parent from the child's family, needs that family's scope. Cancelling a parent (its family's
 * `enqueue`) takes its unfinished children with it, by design; nothing less can. Attacks tried:
 * crossing the family boundary both ways, a read-only caller cancelling, a job token replayed on a
 * child, a token forged for a child, an expired job token replayed on the parent's watch.
 */
import { createHmac } from 'node:crypto';
import { createClient } from '@taskwire/client';
import { hashToken } from '@taskwire/router';
import type { WatchEvent } from '@taskwire/shared';
import { describe, expect, it } from 'vitest';
import { fanoutHandlers, newDeployment } from '../fixtures/deploy-workflow.ts';
import { evoHandlers } from '../fixtures/evolve.ts';
import { eventually, startStack } from '../fixtures/harness.ts';
import { codeOf } from '../fixtures/outcomes.ts';

const DEPLOYER = 'tw_wf-deployer-token-00000000000';
const DEPLOY_READER = 'tw_wf-deploy-reader-token-000000';
const EVO = 'tw_wf-evo-operator-token-0000000';
const SECRET = 'a-configured-secret-of-at-least-32-characters';
const auth = {
  tokens: [
    { name: 'deployer', sha256: hashToken(DEPLOYER), scopes: ['deploy:enqueue' as const, 'deploy:read' as const] },
    { name: 'deploy-reader', sha256: hashToken(DEPLOY_READER), scopes: ['deploy:read' as const] },
    { name: 'evo', sha256: hashToken(EVO), scopes: ['evo:read' as const, 'evo:enqueue' as const] },
  ],
};

describe('workflows and access', () => {
  it('a parent and its children stay behind their own families’ scopes; job tokens do not reach children; only the parent’s enqueue scope cancels', async () => {
    await using stack = await startStack({ registry: newDeployment, auth, api: { sessions: { secrets: [SECRET] } } });
    await stack.startWorker(fanoutHandlers(new Map()).v2);
    await stack.startWorker(evoHandlers([], 1_500).v2, { concurrency: 1 });
    const url = `${stack.api.url}/trpc`;
    const as = (token: string) => createClient<typeof newDeployment>({ url, token, transport: 'http' });
    const deployer = as(DEPLOYER);
    const deployReader = as(DEPLOY_READER);
    const evo = as(EVO);
    try {
      const ref = await deployer.deploy.fanout.enqueue({ people: [{ first: 'ada' }, { first: 'alan' }, { first: 'grace' }] });
      // The parent waits on its three children (one runs at a time, 1.5 s each).
      const children = await eventually(async () => {
        const jobs = [
          ...(await evo.jobs.list({ family: 'evo', state: 'waiting' })),
          ...(await evo.jobs.list({ family: 'evo', state: 'active' })),
        ];
        return jobs.length === 3 ? jobs : undefined;
      });
      const childId = children[0]?.id as string;

      // The parent's own family sees its workflow as counts and step names only.
      const seen: WatchEvent[] = [];
      const watching = (async () => {
        for await (const event of deployReader.deploy.fanout.watch(ref.id)) {
          seen.push(event);
          if (event.type === 'workflow') return;
        }
      })();
      await watching;
      expect(seen.find((e) => e.type === 'workflow')).toEqual({
        type: 'workflow',
        workflow: { steps: expect.arrayContaining(['prepare', 'greet']), children: { pending: 3, completed: 0, failed: 0 } },
      });
      expect(JSON.stringify(seen)).not.toContain('ada');

      // Crossing the boundary: the parent's family cannot read a child, the child's family cannot read or cancel the parent.
      expect(await codeOf(deployer.jobs.get(childId))).toBe('FORBIDDEN');
      expect(await codeOf(deployer.jobs.cancel(childId))).toBe('FORBIDDEN');
      expect(await codeOf(evo.deploy.fanout.get(ref.id))).toBe('FORBIDDEN');
      expect(await codeOf(evo.jobs.cancel(ref.id))).toBe('FORBIDDEN');
      const evoWatch = (async () => {
        for await (const _ of evo.deploy.fanout.watch(ref.id)) return 'OK';
        return 'OK';
      })();
      expect(await codeOf(evoWatch)).toBe('FORBIDDEN');
      // Reading is not cancelling.
      expect(await codeOf(deployReader.jobs.cancel(ref.id))).toBe('FORBIDDEN');

      // A token for the parent reads the parent (its watch included) and nothing of its children.
      const { token } = await deployReader.tokens.create({ scopes: [`job:${ref.id}:read`], ttlMs: 1_500 });
      const page = as(token);
      expect((await page.jobs.get(ref.id)).id).toBe(ref.id);
      expect(await codeOf(page.jobs.get(childId))).toBe('FORBIDDEN');
      expect(await codeOf(page.jobs.cancel(ref.id))).toBe('FORBIDDEN');
      // Forged for a child: the parent token's claims rewritten under another secret.
      const [payload = ''] = token.slice(4).split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const p = Buffer.from(JSON.stringify({ ...claims, scopes: [`job:${childId}:read`] })).toString('base64url');
      const forged = `twt_${p}.${createHmac('sha256', 'some-other-secret-of-at-least-32-chars!!').update(`taskwire-scoped-token\n${p}`).digest('base64url')}`;
      expect(await codeOf(as(forged).jobs.get(childId))).toBe('UNAUTHORIZED');
      // Replayed after its expiry on the parent's watch: refused, nothing of the workflow shown.
      await new Promise((r) => setTimeout(r, 1_600));
      const replayed: WatchEvent[] = [];
      const replay = (async () => {
        for await (const event of page.deploy.fanout.watch(ref.id)) replayed.push(event);
      })();
      expect(await codeOf(replay)).toBe('UNAUTHORIZED');
      expect(replayed).toEqual([]);

      // The parent's enqueue scope cancels it, and its unfinished children go with it.
      expect((await deployer.jobs.cancel(ref.id)).outcome).toBe('removed');
      await eventually(async () => {
        const left = [
          ...(await evo.jobs.list({ family: 'evo', state: 'waiting' })),
          ...(await evo.jobs.list({ family: 'evo', state: 'active' })),
        ];
        return left.length === 0 ? true : undefined;
      });
      expect(await codeOf(deployer.jobs.get(ref.id))).toBe('NOT_FOUND');
    } finally {
      for (const client of [deployer, deployReader, evo]) client.close();
    }
  });
});
