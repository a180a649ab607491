// The worker thread behind decodeJpegSync (decodeImage.ts): decodes JPEG bytes with sharp
// (libvips over libjpeg-turbo, the library PIL decodes with, so pixels are byte-identical to
// PIL's) and posts the raw pixels back. sharp is asynchronous; the calling thread blocks on a
// shared flag until the answer is posted, which keeps the data layer's image(i) synchronous.
import { workerData, type MessagePort } from 'node:worker_threads';
import sharp from 'sharp';

interface Request { readonly id: number; readonly bytes: Uint8Array }
const { flag: shared, port } = workerData as { flag: SharedArrayBuffer; port: MessagePort };
const flag = new Int32Array(shared);
// one image at a time: libvips' own threads do the work, and the caller waits anyway
sharp.concurrency(1);
sharp.cache(false);

port.on('message', (req: Request) => {
  // raw() without a colour conversion: libvips returns the decoder's samples (no ICC transform)
  sharp(req.bytes, { limitInputPixels: false, failOn: 'error' })
    .raw()
    .toBuffer({ resolveWithObject: true })
    .then(
      ({ data, info }) => {
        const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        port.postMessage({ id: req.id, width: info.width, height: info.height, channels: info.channels, pixels });
      },
      (e: unknown) => port.postMessage({ id: req.id, error: e instanceof Error ? e.message : String(e) }),
    )
    .finally(() => {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
});
