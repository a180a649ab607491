// A local ImageFolder tree: <dir>/<split>/<class>/*.png|jpg or <dir>/<class>/*.
import { defineMethod } from './MethodDef.js';

/** `imagefolder("dir")`. */
export const imagefolder = defineMethod({
  name: 'imagefolder', role: 'dataset', positional: 'path',
  summary: 'ImageFolder tree of PNG/JPEG files, one folder per class',
  citation: 'torchvision.datasets.ImageFolder layout',
  schema: {
    type: 'object', additionalProperties: false, required: ['path'],
    properties: { path: { type: 'string', minLength: 1 }, test_split: { type: 'string', default: 'test' }, train_split: { type: 'string', default: 'train' } },
  },
});
