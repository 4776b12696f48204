/** The deployment's tasks and families (`@taskwire/shared/tasks`), looked up by the names typed on the command line. */
import type { AnyTask } from '@taskwire/shared';
import { type Families, families } from '@taskwire/shared/tasks';
import type { TaskClient, TaskwireClient } from '../runtime/client.ts';
import { UsageError } from './usage-error.ts';

/** A family of the registry, e.g. `email`. */
export type FamilyName = keyof Families & string;

/** Every task id, e.g. `email.send`, in registry order. */
export const TASK_IDS: readonly string[] = Object.values(families).flatMap((family) =>
  Object.values(family.tasks).map((task) => (task as AnyTask).id),
);

/** Every family name, in registry order. */
export const FAMILY_NAMES = Object.keys(families) as FamilyName[];

/** The task named `<family>.<task>`, or undefined. */
export function findTask(id: string): AnyTask | undefined {
  const [familyName, name, ...rest] = id.split('.');
  if (!familyName || !name || rest.length > 0 || !Object.hasOwn(families, familyName)) return undefined;
  const tasks: Record<string, AnyTask> = families[familyName as FamilyName].tasks;
  return Object.hasOwn(tasks, name) ? tasks[name] : undefined;
}

/**
 * The task named `<family>.<task>`; a usage error listing the valid tasks otherwise.
 *
 * @example
 * resolveTask('reports.generate', 'enqueue').input; // the contract's input schema
 */
export function resolveTask(id: string, command: string): AnyTask {
  const task = findTask(id);
  if (!task) throw new UsageError(`unknown task '${id}'; valid tasks: ${TASK_IDS.join(', ')}`, command);
  return task;
}

/** A family name from the command line; a usage error listing the valid families otherwise. */
export function resolveFamily(name: string, command: string): FamilyName {
  if (!Object.hasOwn(families, name)) throw new UsageError(`unknown family '${name}'; valid families: ${FAMILY_NAMES.join(', ')}`, command);
  return name as FamilyName;
}

/** The typed client's calls for a task chosen at run time (its input is checked by the API). */
export function taskClient(client: TaskwireClient<Families>, task: AnyTask): TaskClient<AnyTask> {
  const byFamily = client as unknown as Record<string, Record<string, TaskClient<AnyTask>>>;
  return byFamily[task.family]![task.name]!;
}
