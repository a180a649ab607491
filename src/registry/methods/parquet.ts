// A Hugging Face parquet folder (the format of FusionBench's tanganke/* data sets).
import { defineMethod } from './MethodDef.js';

/** `parquet("dir", image_column, label_column)`. */
export const parquet = defineMethod({
  name: 'parquet', role: 'dataset', positional: 'path',
  summary: 'Hugging Face parquet folder with an image column and a label column',
  citation: 'Hugging Face datasets parquet export',
  schema: {
    type: 'object', additionalProperties: false, required: ['path'],
    properties: {
      path: { type: 'string', minLength: 1 },
      image_column: { type: 'string', default: 'image' },
      label_column: { type: 'string', default: 'label' },
    },
  },
});
