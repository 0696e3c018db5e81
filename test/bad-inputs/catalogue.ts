/**
 * The bad-input catalogue: every hostile or careless input we know of, across the public surface,
 * with exactly what the user gets — the error class (`err.name`; for the CLI its exit status) and
 * the message (for the CLI the stderr line). Inputs that are not refused say what happens instead
 * (`error: 'none'`): clamped, defaulted or shown literally.
 *
 * Run in CI by test/node/bad-inputs.test.ts (`runs: 'node'`, inputs built in ./node-cases.ts) and
 * test/browser/bad-inputs.test.ts (`runs: 'browser'`, real Chromium). Both check that every entry
 * of their kind has a runner and every runner an entry. Pure data: imported in both environments.
 */

export type Area = 'checkpoint' | 'model.json' | 'image' | 'element' | 'page-safety' | 'cli';

export interface BadInput {
  /** `<area>/<what>`, the key of its runner. */
  readonly id: string;
  readonly area: Area;
  /** The input, in words. */
  readonly input: string;
  readonly runs: 'node' | 'browser';
  /** `err.name` of what is thrown (or reported by an element), `exit N` for the CLI, `none` if accepted. */
  readonly error: string;
  /** The message the user sees (stderr for the CLI; what is shown for accepted inputs). */
  readonly message: RegExp;
}

export const CATALOGUE: readonly BadInput[] = [
  // ------------------------------------------------------------------------------- checkpoints
  {
    id: 'checkpoint/empty',
    area: 'checkpoint',
    runs: 'node',
    input: 'an empty file (0 bytes)',
    error: 'CheckpointFormatError',
    message: /^'model\.pth' is empty \(0 bytes\); download or save it again\.$/,
  },
  {
    id: 'checkpoint/random-bytes',
    area: 'checkpoint',
    runs: 'node',
    input: '4 KiB of random bytes',
    error: 'CheckpointFormatError',
    message:
      /^'model\.pth' is not a PyTorch checkpoint: it starts with bytes 13 [0-9a-f ]+\. Expected a zip archive \('PK', torch >= 1\.6\) or a pickle \(byte 0x80, legacy torch\.save\)\.$/,
  },
  {
    id: 'checkpoint/image-file',
    area: 'checkpoint',
    runs: 'node',
    input: 'a PNG image given as the checkpoint',
    error: 'CheckpointFormatError',
    message: /^'cat\.png' is not a PyTorch checkpoint: it is a PNG image\./,
  },
  {
    id: 'checkpoint/truncated-zip',
    area: 'checkpoint',
    runs: 'node',
    input:
      'the tiny zip checkpoint cut at every section boundary (every zip header and record, every data.pkl opcode: 321 cuts)',
    error: 'CheckpointFormatError',
    message:
      /^\[cut at byte \d+ of \d+\] 'model\.pth' cannot be read: it has no end-of-central-directory record; it is truncated or corrupt\.$/,
  },
  {
    id: 'checkpoint/truncated-legacy',
    area: 'checkpoint',
    runs: 'node',
    input:
      'the tiny legacy checkpoint cut at every section boundary (each of its five pickles at every opcode, every storage count and data: 3605 cuts)',
    error: 'CheckpointFormatError',
    message:
      /^\[cut at byte \d+ of \d+\] (Invalid pickle: (unexpected end of (pickle )?data at byte \d+ of the .+ of 'model\.pth'|expected a pickle at byte \d+ of the .+ of 'model\.pth' but the data ends there)|'model\.pth' is truncated: storage '\d+' at byte \d+ needs \d+ bytes but only \d+ remain)/,
  },
  {
    id: 'checkpoint/zip-missing-record',
    area: 'checkpoint',
    runs: 'node',
    input: 'a zip checkpoint without the record of storage 3',
    error: 'CheckpointFormatError',
    message: /^'model\.pth': record '.+\/data\/3' is missing from the archive; the file is truncated or corrupt\.$/,
  },
  {
    id: 'checkpoint/zip-missing-data-pkl',
    area: 'checkpoint',
    runs: 'node',
    input: 'a zip checkpoint without data.pkl',
    error: 'CheckpointFormatError',
    message:
      /^'model\.pth' cannot be read: it has no data\.pkl record \(entries: '.+\/data\/0', .+, and 101 more\); it is not a torch\.save archive\.$/,
  },
  {
    id: 'checkpoint/zip-hostile-entry-names',
    area: 'checkpoint',
    runs: 'node',
    input:
      'a zip whose entry names hold terminal escape sequences, a bidi override and 5000 characters (found by the fuzzer)',
    error: 'CheckpointFormatError',
    message:
      /^'model\.pth' cannot be read: it has no data\.pkl record \(entries: '\\u001b\[2J\\u001b\]0;pwned\\u0007', 'x{60}…', 'a\\u202eevil'\); it is not a torch\.save archive\.$/,
  },
  {
    id: 'checkpoint/not-a-bagnet-state-dict',
    area: 'checkpoint',
    runs: 'node',
    input: "a pickle of some other state_dict ({'bf16': …, 'int64': …})",
    error: 'CheckpointArchitectureError',
    message: /^Not a BagNet state_dict: conv1\.weight is missing \(found 7 keys, e\.g\. bf16, int64, int32, int16\)\.$/,
  },
  {
    id: 'checkpoint/resnet-50',
    area: 'checkpoint',
    runs: 'node',
    input: 'a ResNet-50-shaped state_dict',
    error: 'CheckpointArchitectureError',
    message: /^Not a BagNet: this is a ResNet checkpoint \(conv1\.weight is a 7×7 conv \[2, 3, 7, 7\]\)\./,
  },
  {
    id: 'checkpoint/missing-key',
    area: 'checkpoint',
    runs: 'node',
    input: 'a BagNet state_dict with a key missing and one too many',
    error: 'CheckpointArchitectureError',
    message:
      /^The state_dict does not match a BagNet \(q=9, blocks \[1, 1, 1, 1\]\): missing keys: layer3\.0\.downsample\.1\.running_mean; unexpected keys: head\.extra\.weight\.$/,
  },
  {
    id: 'checkpoint/wrong-shape',
    area: 'checkpoint',
    runs: 'node',
    input: 'a BagNet state_dict with one tensor of the wrong shape',
    error: 'CheckpointArchitectureError',
    message: /^State_dict key layer1\.0\.bn2\.running_var has shape \[3\], expected \[2\] for this BagNet\.$/,
  },
  {
    id: 'checkpoint/nan-weights',
    area: 'checkpoint',
    runs: 'node',
    input: 'the tiny checkpoint with NaN weights',
    error: 'CheckpointArchitectureError',
    message: /^State_dict key conv1\.weight contains NaN or infinite values\.$/,
  },
  {
    id: 'checkpoint/inf-weights',
    area: 'checkpoint',
    runs: 'node',
    input: 'the tiny checkpoint with -Infinity weights',
    error: 'CheckpointArchitectureError',
    message: /^State_dict key conv1\.weight contains NaN or infinite values\.$/,
  },
  {
    id: 'checkpoint/2gb-zip-record',
    area: 'checkpoint',
    runs: 'node',
    input: 'a zip record that claims 2 GiB uncompressed from 16 stored bytes',
    error: 'CheckpointFormatError',
    message:
      /^'model\.pth' cannot be read: record 'archive\/data\/0' claims 2147483648 bytes from 16 compressed bytes, which is impossible\.$/,
  },
  {
    id: 'checkpoint/2gb-tensor',
    area: 'checkpoint',
    runs: 'node',
    input: 'a tensor of 2^31 float32 elements (8 GiB) over a 4-element storage',
    error: 'CheckpointFormatError',
    message:
      /^'model\.pth': tensor 'w' \(shape \[2147483648\], strides \[1\], offset 0, float32\) reads up to element 2147483647 but storage '0' holds 4 elements \(16 bytes\); the file is truncated or corrupt\.$/,
  },
  {
    id: 'checkpoint/2gb-broadcast-tensor',
    area: 'checkpoint',
    runs: 'node',
    input: 'a stride-0 tensor of 2^31 elements (in bounds, but an 8 GiB copy)',
    error: 'CheckpointFormatError',
    message:
      /^'model\.pth': tensor 'w' \(shape \[2147483648\], strides \[0\], offset 0, float32\) is a broadcast view \(stride 0\): its elements repeat one storage element\. No BagNet weight is stored this way; re-save the tensor with \.contiguous\(\)\.$/,
  },
  {
    id: 'checkpoint/2gb-legacy-storage',
    area: 'checkpoint',
    runs: 'node',
    input: "a legacy checkpoint whose first storage's 8-byte count says 2^31",
    error: 'CheckpointFormatError',
    message:
      /^'model\.pth': storage '\d+' at byte \d+ holds 2147483648 elements but the pickle declared 64; the file is corrupt\.$/,
  },
  {
    id: 'checkpoint/unsafe-global',
    area: 'checkpoint',
    runs: 'node',
    input: "a real torch.save of {'weight': tensor, 'payload': os.system(...)}",
    error: 'UnsafePickleError',
    message:
      /^refused global 'posix\.system' \(GLOBAL at byte \d+ of .+data\.pkl\): it is not on the allow-list of what a PyTorch state_dict needs\. Nothing was imported or executed\./,
  },
  {
    id: 'checkpoint/whole-module',
    area: 'checkpoint',
    runs: 'node',
    input: 'torch.save(nn.Linear) (a whole module, not a state_dict)',
    error: 'UnsafePickleError',
    message:
      /^refused global 'torch\.nn\.modules\.linear\.Linear' \(GLOBAL at byte 2 of .+\): .+re-save only the weights with torch\.save\(model\.state_dict\(\), path\)/,
  },

  // ------------------------------------------------------------------------------- model.json
  {
    id: 'model/not-json',
    area: 'model.json',
    runs: 'node',
    input: 'a model.json cut in the middle',
    error: 'BagNetFormatError',
    message: /^.+model\.json is not valid JSON \(.+\)\.$/,
  },
  {
    id: 'model/missing-metadata',
    area: 'model.json',
    runs: 'node',
    input: 'a tfjs model.json without userDefinedMetadata.bagnet',
    error: 'BagNetFormatError',
    message:
      /^.+model\.json has no "userDefinedMetadata\.bagnet" entry, so it is not a bagnet-vis model\. Convert a BagNet checkpoint with `bagnet convert <file> --out <dir>` or save one with saveBagNet\(\)\.$/,
  },
  {
    id: 'model/shard-missing',
    area: 'model.json',
    runs: 'node',
    input: 'the weight shard deleted',
    error: 'BagNetFormatError',
    message:
      /^Weight shard "group1-shard1of1\.bin" listed in .+model\.json is missing\. Copy every \.bin file next to model\.json\.$/,
  },
  {
    id: 'model/shard-short',
    area: 'model.json',
    runs: 'node',
    input: 'the shard cut to 1000 bytes',
    error: 'BagNetFormatError',
    message:
      /^Weight shards group1-shard1of1\.bin of .+ hold 1000 bytes, but the manifest describes 88944: the files are truncated or do not belong to this model\.json\.$/,
  },
  {
    id: 'model/shard-long',
    area: 'model.json',
    runs: 'node',
    input: 'the shard 4 KiB too long',
    error: 'BagNetFormatError',
    message:
      /^Weight shard .+group1-shard1of1\.bin holds 93040 bytes, more than the 88944 its manifest leaves for it: the file is too long or does not belong to this model\.json\.$/,
  },
  {
    id: 'model/wrong-dtype',
    area: 'model.json',
    runs: 'node',
    input: 'a weight declared int32',
    error: 'BagNetFormatError',
    message: /^.+: weight conv1\/kernel has dtype "int32"; BagNet weights must be float32\.$/,
  },
  {
    id: 'model/mismatched-manifest',
    area: 'model.json',
    runs: 'node',
    input: 'metadata of a 5-class model over the manifest and shard of a 4-class one',
    error: 'BagNetFormatError',
    message:
      /^.+: weight head\/kernel has shape \[1, 1, 128, 4\], expected \[1, 1, 128, 5\] for the architecture in its metadata\. The files do not belong together; convert or save the model again\.$/,
  },
  {
    id: 'model/manifest-missing-weight',
    area: 'model.json',
    runs: 'node',
    input: 'a manifest without its last weight (head/bias)',
    error: 'BagNetFormatError',
    message:
      /^.+: the weights manifest does not match the architecture in its metadata \(BagNet-9, blocks \[1, 1, 1, 1\], widths \[4, 8, 16, 32\], 4 classes\): missing head\/bias\. The files do not belong together; convert or save the model again\.$/,
  },
  {
    id: 'model/metadata-claims-huge-network',
    area: 'model.json',
    runs: 'node',
    input:
      'metadata claiming stage widths of 100,000 over a tiny manifest (used to allocate the claimed network, then fail with a RangeError leaking 66 tensors)',
    error: 'BagNetFormatError',
    message:
      /^.+: weight layer4_0_conv1\/kernel has shape \[1, 1, 64, 32\], expected \[1, 1, 64, 100000\] for the architecture in its metadata\..* \[tensors left: 0\]$/,
  },
  {
    id: 'model/huge-block-count',
    area: 'model.json',
    runs: 'node',
    input: 'metadata with blocks [10^8, 1, 1, 1] (used to exhaust a 4 GB heap)',
    error: 'BagNetFormatError',
    message:
      /^Invalid bagnet metadata at .+: userDefinedMetadata\.bagnet\.architecture: Invalid BagNet architecture: blocks must be 4 integers from 1 to 64, got \[100000000, 1, 1, 1\]\. Re-create the model/,
  },
  {
    id: 'model/labels-count',
    area: 'model.json',
    runs: 'node',
    input: 'one label for a 4-class model',
    error: 'BagNetFormatError',
    message:
      /^Invalid bagnet metadata at .+: userDefinedMetadata\.bagnet\.labels: expected 4 strings \(one per class\)\./,
  },
  {
    id: 'model/nan-weights',
    area: 'model.json',
    runs: 'node',
    input: 'a NaN in the weight shard (used to load and compute NaN evidence)',
    error: 'BagNetFormatError',
    message:
      /^.+: weight conv2\/kernel holds NaN at element 88; a model with NaN or infinite weights computes NaN evidence\./,
  },
  {
    id: 'model/shard-path-traversal',
    area: 'model.json',
    runs: 'node',
    input: 'a manifest path ../../../../dev/zero (used to read until out of memory)',
    error: 'BagNetFormatError',
    message:
      /^.+: weightsManifest\[0\]\.paths has "(\.\.\/)+dev\/zero", which leaves the folder of model\.json \("\.\." or an empty segment\): weight files must be named relative to model\.json, in its folder\.$/,
  },
  {
    id: 'model/shard-absolute-url',
    area: 'model.json',
    runs: 'node',
    input: 'a manifest path https://elsewhere.invalid/…',
    error: 'BagNetFormatError',
    message:
      /^.+: weightsManifest\[0\]\.paths has "https:\/\/elsewhere\.invalid\/group1-shard1of1\.bin", an absolute path or URL:/,
  },
  {
    id: 'model/shard-is-a-device',
    area: 'model.json',
    runs: 'node',
    input: 'the shard a symbolic link to /dev/zero',
    error: 'BagNetFormatError',
    message: /^Weight shard .+group1-shard1of1\.bin is not a regular file; copy the \.bin files themselves\.$/,
  },
  {
    id: 'model/http-404',
    area: 'model.json',
    runs: 'node',
    input: 'a model URL that answers 404',
    error: 'BagNetFormatError',
    message: /^Could not load model https:\/\/models\.invalid\/bagnet\/model\.json: HTTP 404 Not Found\.$/,
  },
  {
    id: 'model/http-endless-shard',
    area: 'model.json',
    runs: 'node',
    input: 'a server that streams a shard forever (used to buffer until out of memory)',
    error: 'BagNetFormatError',
    message:
      /^Weight shard https:\/\/models\.invalid\/bagnet\/group1-shard1of1\.bin holds \d+ bytes, more than the 88944 its manifest leaves for it: .+ \[streamed (65536|131072|196608|262144) bytes\]$/,
  },

  // ------------------------------------------------------------------------------- images
  {
    id: 'image/raw-0x0',
    area: 'image',
    runs: 'node',
    input: '{data, width: 0, height: 0}',
    error: 'BagNetInputError',
    message: /^Raw image has size 0×0: an image needs at least 1×1 px \(is it loaded\?\)\.$/,
  },
  {
    id: 'image/raw-smaller-than-q',
    area: 'image',
    runs: 'node',
    input: 'a 5×5 image for q = 9',
    error: 'BagNetInputError',
    message:
      /^Image of 5×5 px is smaller than the model's receptive field q = 9: both sides must be at least 9 px \(resize it up first\)\.$/,
  },
  {
    id: 'image/raw-20000x20000',
    area: 'image',
    runs: 'node',
    input: 'raw bytes claiming 20000×20000 px',
    error: 'BagNetInputError',
    message:
      /^Raw image is 20000×20000 px \(400000000 pixels\), more than the 16777216-pixel limit: downscale it first\.$/,
  },
  {
    id: 'image/raw-wrong-length',
    area: 'image',
    runs: 'node',
    input: '10 bytes for 20×20 px',
    error: 'BagNetInputError',
    message: /^Raw image data has 10 bytes, but 20×20 needs 1200 \(RGB\) or 1600 \(RGBA\)\.$/,
  },
  {
    id: 'image/tensor-nan',
    area: 'image',
    runs: 'node',
    input: 'a [16, 16, 3] tensor of NaN',
    error: 'BagNetInputError',
    message: /^The image tensor contains NaN or infinite values\.$/,
  },
  {
    id: 'image/not-an-image',
    area: 'image',
    runs: 'node',
    input: "a string ('cat.png') where an image goes",
    error: 'BagNetInputError',
    message: /^Unsupported image input: pass an HTMLImageElement, .+ or \{data, width, height\} raw RGB\(A\) bytes\.$/,
  },
  {
    id: 'image/canvas-0x0',
    area: 'image',
    runs: 'browser',
    input: 'a 0×0 canvas',
    error: 'BagNetInputError',
    message: /^HTMLCanvasElement has size 0×0: an image needs at least 1×1 px \(is it loaded\?\)\.$/,
  },
  {
    id: 'image/canvas-smaller-than-q',
    area: 'image',
    runs: 'browser',
    input: 'a 5×5 canvas for q = 9',
    error: 'BagNetInputError',
    message: /^Image of 5×5 px is smaller than the model's receptive field q = 9/,
  },
  {
    id: 'image/canvas-20000x20000',
    area: 'image',
    runs: 'browser',
    input: 'a 20000×20000 canvas',
    error: 'BagNetInputError',
    message:
      /^HTMLCanvasElement is 20000×20000 px \(400000000 pixels\), more than the 16777216-pixel limit: downscale it first\.$/,
  },
  {
    id: 'image/svg-20000x20000',
    area: 'image',
    runs: 'browser',
    input: 'an <img> of an SVG of 20000×20000 px',
    error: 'BagNetInputError',
    message:
      /^Image element is 20000×20000 px \(400000000 pixels\), more than the 16777216-pixel limit: downscale it first\.$/,
  },
  {
    id: 'image/undecodable-bytes',
    area: 'image',
    runs: 'browser',
    input: 'an <img> of random bytes',
    error: 'BagNetInputError',
    message: /^Image "blob:.+" could not be decoded or has not loaded\.$/,
  },
  {
    id: 'image/tainted-canvas',
    area: 'image',
    runs: 'browser',
    input: 'a canvas with a cross-origin image drawn on it (no CORS)',
    error: 'BagNetInputError',
    message:
      /^The image is cross-origin and taints the canvas, so its pixels cannot be read: serve it with CORS headers and set crossOrigin="anonymous"\.$/,
  },
  {
    id: 'image/cross-origin-img',
    area: 'image',
    runs: 'browser',
    input: 'an <img> from another origin without CORS',
    error: 'BagNetInputError',
    message: /^The image is cross-origin and taints the canvas, so its pixels cannot be read/,
  },
  {
    id: 'image/svg',
    area: 'image',
    runs: 'browser',
    input: 'an <img> of a 64×64 SVG',
    error: 'none',
    message: /^accepted: rasterised at 64×64 px, 7×7 cells$/,
  },
  {
    id: 'image/element-src-undecodable',
    area: 'image',
    runs: 'browser',
    input: '<bagnet-heatmap src> of random bytes',
    error: 'image',
    message:
      /^Image ".+" could not be loaded: check the URL, that it is an image \(PNG, JPEG, WebP, …\) and, for another origin, that it is served with CORS headers\.$/,
  },
  {
    id: 'image/element-src-20000x20000',
    area: 'image',
    runs: 'browser',
    input: '<bagnet-heatmap src> of a 20000×20000 SVG',
    error: 'image',
    message:
      /^Image element is 20000×20000 px \(400000000 pixels\), more than the 16777216-pixel limit: downscale it first\.$/,
  },

  // ------------------------------------------------------------------------------- element attributes
  {
    id: 'element/unknown-colormap',
    area: 'element',
    runs: 'browser',
    input: 'colormap="NotAMap"',
    error: 'colormap',
    message:
      /^Unknown colormap "NotAMap": use a d3-scale-chromatic scheme name, diverging \(.*RdBu.*\) or sequential \(.+\)\.$/,
  },
  {
    id: 'element/class-out-of-range',
    area: 'element',
    runs: 'browser',
    input: 'class-index="7" on a 4-class model',
    error: 'class-index',
    message: /^Class index 7 is out of range: this model has 4 classes \(0–3\)\.$/,
  },
  {
    id: 'element/class-negative',
    area: 'element',
    runs: 'browser',
    input: 'class-index="-1"',
    error: 'class-index',
    message: /^Class index -1 is out of range: this model has 4 classes \(0–3\)\.$/,
  },
  {
    id: 'element/class-non-numeric',
    area: 'element',
    runs: 'browser',
    input: 'class-index="dog" (used to say "Class index NaN is out of range")',
    error: 'class-index',
    message: /^class-index "dog" is not a number: give a class index from 0 to 3 \(this model has 4 classes\)\.$/,
  },
  {
    id: 'element/explainer-class-non-numeric',
    area: 'element',
    runs: 'browser',
    input: '<bagnet-explainer class-index="dog">',
    error: 'class-index',
    message: /^class-index "dog" is not a number: give a class index from 0 to 3 \(this model has 4 classes\)\.$/,
  },
  {
    id: 'element/negative-opacity',
    area: 'element',
    runs: 'browser',
    input: 'opacity="-0.5"',
    error: 'none',
    message: /^overlay opacity 0$/,
  },
  {
    id: 'element/opacity-above-one',
    area: 'element',
    runs: 'browser',
    input: 'opacity="7"',
    error: 'none',
    message: /^overlay opacity 1$/,
  },
  {
    id: 'element/non-numeric-opacity',
    area: 'element',
    runs: 'browser',
    input: 'opacity="abc" (used to make the overlay fully opaque: CSS ignored "NaN")',
    error: 'none',
    message: /^overlay opacity 0\.75$/,
  },
  {
    id: 'element/non-numeric-clip-percentile',
    area: 'element',
    runs: 'browser',
    input: 'clip-percentile="lots"',
    error: 'none',
    message: /^colour limits of the default clip-percentile 99$/,
  },
  {
    id: 'element/threshold-out-of-range',
    area: 'element',
    runs: 'browser',
    input: 'threshold="-3"',
    error: 'none',
    message: /^threshold 0: every cell drawn$/,
  },
  {
    id: 'element/unknown-sign',
    area: 'element',
    runs: 'browser',
    input: 'sign="sideways"',
    error: 'none',
    message: /^both signs drawn$/,
  },
  {
    id: 'element/unknown-resolution',
    area: 'element',
    runs: 'browser',
    input: 'resolution="ultra"',
    error: 'none',
    message: /^the cell map$/,
  },
  {
    id: 'element/gallery-k-non-numeric',
    area: 'element',
    runs: 'browser',
    input: '<patch-gallery k="many">',
    error: 'none',
    message: /^5 tiles per list$/,
  },
  {
    id: 'element/bar-k-negative',
    area: 'element',
    runs: 'browser',
    input: '<evidence-bar k="-2">',
    error: 'none',
    message: /^5 rows$/,
  },
  {
    id: 'element/model-src-404',
    area: 'element',
    runs: 'browser',
    input: 'model-src of a URL that answers 404',
    error: 'model',
    message: /^Could not load model .+\/__models__\/missing\/model\.json: HTTP 404 Not Found\.$/,
  },
  {
    id: 'element/model-src-shard-traversal',
    area: 'element',
    runs: 'browser',
    input: 'model-src of a model.json whose shard path is ../../x.bin',
    error: 'model',
    message:
      /^.+model\.json: weightsManifest\[0\]\.paths has "\.\.\/\.\.\/x\.bin", which leaves the folder of model\.json/,
  },

  // ------------------------------------------------------------------------------- page safety
  {
    id: 'page-safety/label-markup',
    area: 'page-safety',
    runs: 'browser',
    input:
      'class labels <img src=x onerror=…>, <script>…</script> and a bidi override in every element of <bagnet-explainer>',
    error: 'none',
    message: /^shown literally in heatmap, gallery, bars and summaries; no element created, no script run$/,
  },
  {
    id: 'page-safety/src-markup',
    area: 'page-safety',
    runs: 'browser',
    input: 'an image URL holding <img src=x onerror=…>, in the error message',
    error: 'image',
    message: /^Image ".+%3Cimg%20src=x%20onerror=.+" could not be loaded/,
  },

  // ------------------------------------------------------------------------------- CLI
  {
    id: 'cli/png-bomb',
    area: 'cli',
    runs: 'node',
    input: 'a 48 kB PNG of 20000×20000 px (used to take 29 s and 1.8 GB before the refusal)',
    error: 'exit 1',
    message:
      /^bagnet explain: error: Image 'bomb\.png' \(20000×20000 px\) is larger than 100 megapixels; downscale it first\.$/,
  },
  {
    id: 'cli/undecodable-image',
    area: 'cli',
    runs: 'node',
    input: 'random bytes named noise.png',
    error: 'exit 1',
    message:
      /^bagnet explain: error: Cannot decode image 'noise\.png': it is not a PNG, JPEG or WebP file \(format: unknown \(starts with bytes [0-9a-f ]+\)\)\.$/,
  },
  {
    id: 'cli/svg-image',
    area: 'cli',
    runs: 'node',
    input: 'an SVG file',
    error: 'exit 1',
    message:
      /^bagnet explain: error: Cannot decode image 'cat\.svg': it is not a PNG, JPEG or WebP file \(format: unknown \(starts with bytes 3c 73 76 67 20 78 6d 6c\)\)\.$/,
  },
  {
    id: 'cli/image-smaller-than-q',
    area: 'cli',
    runs: 'node',
    input: 'a 5×5 PNG with --resize none',
    error: 'exit 1',
    message:
      /^bagnet explain: error: Image 'small\.png' is 5×5 px, smaller than the model's receptive field q = 9 px: use a larger image or --resize <n ≥ 9>\.$/,
  },
  {
    id: 'cli/unknown-option',
    area: 'cli',
    runs: 'node',
    input: 'bagnet explain … --frobnicate',
    error: 'exit 2',
    message: /^bagnet explain: Unknown option '--frobnicate' \(see 'bagnet explain --help'\)$/,
  },
  {
    id: 'cli/non-numeric-top',
    area: 'cli',
    runs: 'node',
    input: 'bagnet explain … --top abc',
    error: 'exit 2',
    message: /^bagnet explain: --top expects an integer ≥ 1, got 'abc' \(see 'bagnet explain --help'\)$/,
  },
  {
    id: 'cli/class-out-of-range',
    area: 'cli',
    runs: 'node',
    input: 'bagnet explain … --class 7 on a 4-class model',
    error: 'exit 1',
    message: /^bagnet explain: error: --class 7 is out of range: the model has 4 classes \(0–3\)\.$/,
  },
  {
    id: 'cli/browser-backend',
    area: 'cli',
    runs: 'node',
    input: 'bagnet explain … --backend webgl',
    error: 'exit 2',
    message:
      /^bagnet explain: --backend must be wasm or cpu in Node, got 'webgl' \(a browser backend\) \(see 'bagnet explain --help'\)$/,
  },
  {
    id: 'cli/bad-stage-strides',
    area: 'cli',
    runs: 'node',
    input: 'bagnet convert … --stage-strides 3,2,2,1',
    error: 'exit 2',
    message: /^bagnet convert: --stage-strides takes strides of 1 or 2 \(see 'bagnet convert --help'\)$/,
  },
  {
    id: 'cli/empty-checkpoint',
    area: 'cli',
    runs: 'node',
    input: 'bagnet convert of an empty file',
    error: 'exit 1',
    message: /^bagnet convert: error: 'empty\.pth' is empty \(0 bytes\); download or save it again\.$/,
  },
  {
    id: 'cli/model-shard-traversal',
    area: 'cli',
    runs: 'node',
    input: 'bagnet explain --model of a model.json whose shard is ../../dev/zero',
    error: 'exit 1',
    message:
      /^bagnet explain: error: .+model\.json: weightsManifest\[0\]\.paths has "(\.\.\/)+dev\/zero", which leaves the folder of model\.json/,
  },
  {
    id: 'cli/label-escape-sequences',
    area: 'cli',
    runs: 'node',
    input:
      'bagnet info / explain of a model whose label holds ESC[2J and an OSC title sequence (used to be printed raw)',
    error: 'exit 0',
    message: /\\u001b\[2J\\u001b\]0;pwned\\u0007cat/,
  },
];
