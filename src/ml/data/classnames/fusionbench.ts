// Class names and prompt templates of the smaller FusionBench tasks, as FusionBench has them
// (fusion_bench/tasks/clip_classification/{mnist,svhn,eurosat,gtsrb,resisc45,dtd,cifar10,pcam,
// fer2013,stl10,rendered_sst2,fashion_mnist}.py; the prompts follow Radford et al. 2021, CLIP).

/** Class names and templates of one task. */
export interface Prompts {
  readonly classnames: readonly string[];
  readonly templates: readonly string[];
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const DIGIT_TEMPLATES = ['a photo of the number: "{}".'];

export const MNIST: Prompts = { classnames: DIGITS, templates: DIGIT_TEMPLATES };
export const SVHN: Prompts = { classnames: DIGITS, templates: DIGIT_TEMPLATES };

export const EUROSAT: Prompts = {
  classnames: [
    'annual crop land', 'forest', 'brushland or shrubland', 'highway or road', 'industrial buildings or commercial buildings', 'pasture land', 'permanent crop land',
    'residential buildings or homes or apartments', 'river', 'lake or sea',
  ],
  templates: ['a centered satellite photo of {}.', 'a centered satellite photo of a {}.', 'a centered satellite photo of the {}.'],
};

export const GTSRB: Prompts = {
  classnames: [
    'red and white circle 20 kph speed limit', 'red and white circle 30 kph speed limit', 'red and white circle 50 kph speed limit', 'red and white circle 60 kph speed limit',
    'red and white circle 70 kph speed limit', 'red and white circle 80 kph speed limit', 'end / de-restriction of 80 kph speed limit', 'red and white circle 100 kph speed limit',
    'red and white circle 120 kph speed limit', 'red and white circle red car and black car no passing', 'red and white circle red truck and black car no passing',
    'red and white triangle road intersection warning', 'white and yellow diamond priority road', 'red and white upside down triangle yield right-of-way', 'stop',
    'empty red and white circle', 'red and white circle no truck entry', 'red circle with white horizonal stripe no entry', 'red and white triangle with exclamation mark warning',
    'red and white triangle with black left curve approaching warning', 'red and white triangle with black right curve approaching warning',
    'red and white triangle with black double curve approaching warning', 'red and white triangle rough / bumpy road warning', 'red and white triangle car skidding / slipping warning',
    'red and white triangle with merging / narrow lanes warning', 'red and white triangle with person digging / construction / road work warning',
    'red and white triangle with traffic light approaching warning', 'red and white triangle with person walking warning', 'red and white triangle with child and person walking warning',
    'red and white triangle with bicyle warning', 'red and white triangle with snowflake / ice warning', 'red and white triangle with deer warning',
    'white circle with gray strike bar no speed limit', 'blue circle with white right turn arrow mandatory', 'blue circle with white left turn arrow mandatory',
    'blue circle with white forward arrow mandatory', 'blue circle with white forward or right turn arrow mandatory', 'blue circle with white forward or left turn arrow mandatory',
    'blue circle with white keep right arrow mandatory', 'blue circle with white keep left arrow mandatory', 'blue circle with white arrows indicating a traffic circle',
    'white circle with gray strike bar indicating no passing for cars has ended', 'white circle with gray strike bar indicating no passing for trucks has ended',
  ],
  templates: ['a zoomed in photo of a "{}" traffic sign.', 'a centered photo of a "{}" traffic sign.', 'a close up photo of a "{}" traffic sign.'],
};

const AERIAL = ['satellite imagery of', 'aerial imagery of', 'satellite photo of', 'aerial photo of', 'satellite view of', 'aerial view of'];
export const RESISC45: Prompts = {
  classnames: [
    'airplane', 'airport', 'baseball diamond', 'basketball court', 'beach', 'bridge', 'chaparral', 'church', 'circular farmland', 'cloud', 'commercial area', 'dense residential',
    'desert', 'forest', 'freeway', 'golf course', 'ground track field', 'harbor', 'industrial area', 'intersection', 'island', 'lake', 'meadow', 'medium residential',
    'mobile home park', 'mountain', 'overpass', 'palace', 'parking lot', 'railway', 'railway station', 'rectangular farmland', 'river', 'roundabout', 'runway', 'sea ice', 'ship',
    'snowberg', 'sparse residential', 'stadium', 'storage tank', 'tennis court', 'terrace', 'thermal power station', 'wetland',
  ],
  templates: ['', 'a ', 'the '].flatMap((art) => AERIAL.map((p) => `${p} ${art}{}.`)),
};

export const DTD: Prompts = {
  classnames: [
    'banded', 'blotchy', 'braided', 'bubbly', 'bumpy', 'chequered', 'cobwebbed', 'cracked', 'crosshatched', 'crystalline', 'dotted', 'fibrous', 'flecked', 'freckled', 'frilly',
    'gauzy', 'grid', 'grooved', 'honeycombed', 'interlaced', 'knitted', 'lacelike', 'lined', 'marbled', 'matted', 'meshed', 'paisley', 'perforated', 'pitted', 'pleated',
    'polka-dotted', 'porous', 'potholed', 'scaly', 'smeared', 'spiralled', 'sprinkled', 'stained', 'stratified', 'striped', 'studded', 'swirly', 'veined', 'waffled', 'woven',
    'wrinkled', 'zigzagged',
  ],
  templates: ['a', 'the'].flatMap((art) => ['texture', 'pattern', 'thing', 'object'].map((k) => `a photo of ${art} {} ${k}.`)),
};

const CIFAR_TEMPLATE_STEMS = ['a photo of', 'a blurry photo of', 'a black and white photo of', 'a low contrast photo of', 'a high contrast photo of', 'a bad photo of', 'a good photo of'];
/** CLIP's 18 CIFAR prompts ("a photo of a {}.", "a blurry photo of a {}.", ..., "a photo of the big {}."). */
export const CIFAR_TEMPLATES: readonly string[] = ['a', 'the'].flatMap((art) => [
  ...CIFAR_TEMPLATE_STEMS.map((s) => `${s} ${art} {}.`),
  `a photo of ${art} small {}.`,
  `a photo of ${art} big {}.`,
]);

export const CIFAR10: Prompts = {
  classnames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
  templates: CIFAR_TEMPLATES,
};

export const PCAM: Prompts = {
  classnames: ['lymph node', 'lymph node containing metastatic tumor tissue'],
  templates: ['this is a photo of {}'],
};

export const FER2013: Prompts = {
  classnames: ['angry', 'disgusted', 'fearful', 'happy', 'neutral', 'sad', 'surprised'],
  templates: [
    'a photo of a {} looking face.', 'a photo of a face showing the emotion: {}.', 'a photo of a face looking {}.', 'a face that looks {}.', 'they look {}.', 'look at how {} they are.',
  ],
};

export const STL10: Prompts = {
  classnames: ['airplane', 'bird', 'car', 'cat', 'deer', 'dog', 'horse', 'monkey', 'ship', 'truck'],
  templates: ['a photo of a {}.', 'a photo of the {}.'],
};

export const RENDERED_SST2: Prompts = { classnames: ['negative', 'positive'], templates: ['a {} review of a movie.'] };

export const FASHION_MNIST: Prompts = {
  classnames: ['T - shirt / top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  templates: ['a photo of a {}.', 'a photo of the {}.'],
};
