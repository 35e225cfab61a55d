/**
 * The task families behind one configuration type (TaskConfig, src/config/types.ts): modular arithmetic
 * (src/tasks/modular.ts) and MNIST (src/tasks/mnist.ts). What the rest of grokinfo asks of a task goes
 * through here, so a feature that exists for one family only refuses the other with one coded error.
 */
import { GrokinfoError } from '../core/errors.js';
import type { ModularTaskConfig, Op, TaskConfig, TaskKind } from '../config/types.js';
import { validateTaskConfig } from './modular.js';
import { validateMnistTaskConfig } from './mnist.js';

export function taskKind(t: { kind?: TaskKind }): TaskKind {
  return t.kind ?? 'modular';
}

/** Validates either family's configuration; the modular one gets its 'auto' split resolved. */
export function validateAnyTask(t: TaskConfig): TaskConfig {
  return t.kind === 'mnist' ? validateMnistTaskConfig(t) : validateTaskConfig(t);
}

/** The modular operation of a task, or 'mnist' (what the measure registry asks: do Fourier measures apply?). */
export function taskTag(t: TaskConfig): Op | 'mnist' {
  return t.kind === 'mnist' ? 'mnist' : t.op;
}

/** The modular task of a configuration; an MNIST task is an INVALID_ARGUMENT naming the feature. */
export function modularTask(t: TaskConfig, feature: string): ModularTaskConfig {
  if (t.kind === 'mnist')
    throw new GrokinfoError('INVALID_ARGUMENT', `${feature}: needs a modular task (--task modular); this run's task is mnist`, { what: feature, allowed: ['modular'], got: 'mnist' });
  return t;
}

/** A short readable name of a task ("add-p97", "mnist-n1000"), used in run ids. */
export function taskName(t: TaskConfig): string {
  return t.kind === 'mnist' ? `mnist-n${t.trainSize}` : `${t.op}-p${t.p}`;
}
