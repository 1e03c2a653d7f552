// The ops surface (issue 13): TF.js 4.22 and Hebb loaded in one page, the public members (own
// and inherited, not starting with '_') of the tf namespace, tf.browser, tf.image, tf.math,
// tf.linalg, tf.signal, tf.spectral, tf.sparse, tf.string, tf.fused, tf.util, tf.data, tf.io, a
// Tensor, a Variable and a TensorBuffer, enumerated on both. Every member TF.js has must be in
// Hebb, except the entries of surface/ops_excluded.txt (backend internals, each with its reason)
// and of surface/ops_pending.txt (not done yet: the list issue 13 empties). A pending entry Hebb
// now has fails the test too, so the list only shrinks.
import { test } from 'node:test';
import { useBrowser } from './harness.mjs';
import { checkSurface } from './surface/both.mjs';

const b = useBrowser({ label: 'ops surface' });

test('Hebb has every public op and utility of TF.js 4.22 but the listed internals (and the pending list)', { timeout: 120_000 }, async () => {
  await checkSurface(b, 'ops', 'ops_excluded.txt', 'ops_pending.txt');
});
