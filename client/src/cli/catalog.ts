/** The deployment's tasks and families, looked up by the names typed on the command line. */
import type { AnyTask, Registry } from '@taskwire/shared';
import type { TaskClient, TaskwireClient } from '../runtime/client.ts';
import { UsageError } from './usage-error.ts';

/**
 * What the CLI knows of the deployment it talks to: its registry, loaded from the config file
 * (`--config`, `TASKWIRE_CONFIG`, or `taskwire.config.*` in the working directory). Without one,
 * commands that only name jobs and families still work (the API checks the names); commands that
 * read an input (enqueue, schedules) need the contracts and say so.
 *
 * @example
 * const catalog = new Catalog(deployment.config.registry, deployment.file, deployment.lockFile);
 * catalog.resolveTask('reports.generate', 'enqueue').input; // the contract's input schema
 */
export class Catalog {
  constructor(
    readonly registry: Registry | undefined,
    /** Where the registry came from (the config file), for messages. */
    readonly source?: string,
    /** The deployment's contracts lock file. */
    readonly lockFile?: string,
  ) {}

  /** Every task id, e.g. `email.send`, in registry order. */
  get taskIds(): string[] {
    return Object.values(this.registry ?? {}).flatMap((family) => Object.values(family.tasks).map((task) => (task as AnyTask).id));
  }

  /** Every family name, in registry order. */
  get familyNames(): string[] {
    return Object.keys(this.registry ?? {});
  }

  /** The task named `<family>.<task>`, or undefined. */
  findTask(id: string): AnyTask | undefined {
    const [familyName, name, ...rest] = id.split('.');
    const registry = this.registry;
    if (!registry || !familyName || !name || rest.length > 0 || !Object.hasOwn(registry, familyName)) return undefined;
    const tasks: Record<string, AnyTask> = (registry[familyName] as Registry[string]).tasks;
    return Object.hasOwn(tasks, name) ? tasks[name] : undefined;
  }

  /** The task named `<family>.<task>`; a usage error listing the valid tasks otherwise. */
  resolveTask(id: string, command: string): AnyTask {
    if (!this.registry) {
      throw new UsageError(
        `'${command}' reads the task's contract: run it where taskwire.config.ts (or .mjs, .js) is, or pass --config <file> (env TASKWIRE_CONFIG)`,
        command,
      );
    }
    const task = this.findTask(id);
    if (!task) throw new UsageError(`unknown task '${id}'; valid tasks: ${this.taskIds.join(', ')}`, command);
    return task;
  }

  /** A family name from the command line; with a registry, a usage error listing the valid families otherwise. */
  resolveFamily(name: string, command: string): string {
    if (this.registry && !Object.hasOwn(this.registry, name)) {
      throw new UsageError(`unknown family '${name}'; valid families: ${this.familyNames.join(', ')}`, command);
    }
    return name;
  }
}

/** The typed client's calls for a task chosen at run time (its input is checked by the API). */
export function taskClient(client: TaskwireClient<Registry>, task: AnyTask): TaskClient<AnyTask> {
  const byFamily = client as unknown as Record<string, Record<string, TaskClient<AnyTask>>>;
  return byFamily[task.family]![task.name]!;
}
