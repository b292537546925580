/**
 * Sends one task message where {@link routeTaskMessage} says it goes: a provider queue (now or after up to
 * 900 s), a one-time schedule for longer waits, or a worker inbox. The decision is the core's; this module only
 * carries it out through the ports, so the stream, the sweeper and manual actions all route the same way.
 * @module
 */
import { withoutCarriedJob } from '../core/carried-job';
import type { TaskMessage } from '../core/model';
import { routeTaskMessage, type RouteTopology, type TaskRoute } from '../core/routing';
import type { EngineDeps, WorkQueue } from '../ports';

/** The deployment's routes as the work queue knows them (its routes and external providers). */
export function topologyOf(queue: Pick<WorkQueue, 'hasProvider' | 'isExternal'>): RouteTopology {
  return { hasQueue: (route) => queue.hasProvider(route), isExternal: (provider) => queue.isExternal(provider) };
}

/**
 * Where a message would go now: the routing decision for this deployment and clock, without sending anything.
 * @param notBefore - earliest run time (ms since epoch); undefined: now
 */
export function routeOfDispatch(deps: Pick<EngineDeps, 'queue' | 'clock'>, message: TaskMessage, notBefore?: number): TaskRoute {
  return routeTaskMessage(message, topologyOf(deps.queue), deps.clock.now(), notBefore);
}

/**
 * Sends a task message now, after a queue delay (≤ 900 s), through a one-time schedule, or into a worker inbox.
 * Idempotent per attempt: a queue message is claimed at most once, a schedule name and an inbox offer are
 * unique per attempt.
 * @param notBefore - earliest run time (ms since epoch); undefined: now
 * @example
 * await dispatch(deps, message, task.dueAt);
 */
export async function dispatch(deps: EngineDeps, message: TaskMessage, notBefore?: number): Promise<void> {
  return sendRouted(deps, message, routeOfDispatch(deps, message, notBefore));
}

/** Carries out one routing decision. */
async function sendRouted(deps: EngineDeps, message: TaskMessage, route: TaskRoute): Promise<void> {
  // The scheduler resolves the same queue route from the message (queueRouteOf), as the work queue does.
  if (route.kind === 'schedule') return deps.scheduler.scheduleAt(route.name, route.at, withoutCarriedJob(message));
  return sendUnscheduled(deps, message, route);
}

/** A routing decision that needs no schedule: a queue (now or after up to 900 s), or a worker inbox. */
async function sendUnscheduled(deps: EngineDeps, message: TaskMessage, route: Exclude<TaskRoute, { kind: 'schedule' }>): Promise<void> {
  if (route.kind === 'inbox') {
    // Stored (and billed by size) until a worker claims it; a worker decides no continuation.
    return deps.store.offer(route.target, route.visibleAt, withoutCarriedJob(message));
  }
  return route.delaySeconds > 0 ? deps.queue.send(message, route.delaySeconds) : deps.queue.send(message);
}

/**
 * Sends a message due now: into its provider's queue or a worker inbox. What the API sends (a new root pipeline's
 * first task, `core/first-task.ts`), which therefore needs a queue and the table, never the scheduler.
 */
export async function dispatchNow(deps: EngineDeps, message: TaskMessage): Promise<void> {
  const route = routeTaskMessage(message, topologyOf(deps.queue), deps.clock.now());
  if (route.kind === 'schedule') throw new Error(`jobx: a message due now was routed to a schedule (${route.name})`);
  return sendUnscheduled(deps, message, route);
}

/**
 * {@link dispatch} for many messages at once (a wide parent's first tasks): those that go to a queue now are sent
 * in batches, the others one by one.
 */
export async function dispatchMany(deps: EngineDeps, messages: readonly TaskMessage[]): Promise<void> {
  const now: TaskMessage[] = [];
  for (const message of messages) {
    const route = routeOfDispatch(deps, message);
    if (route.kind === 'queue' && route.delaySeconds === 0) now.push(message);
    else await sendRouted(deps, message, route);
  }
  if (now.length) await deps.queue.sendMany(now);
}
