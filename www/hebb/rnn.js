// What TF.js's recurrent layers expose beyond their options: the cell (lstm.cell, a view of the
// layer's weights), a stateful layer's carried states (getStates / setStates / states), and a
// Bidirectional layer's forward and backward layers (views of its weights).
import { engine } from './engine.js';
import { Tensor, wrap, zeros } from './tensor.js';
import { Bidirectional, RNN, RNNCell } from './layer_factories.js';

const CELL_OF = { SimpleRNN: 'SimpleRNNCell', LSTM: 'LSTMCell', GRU: 'GRUCell', ConvLSTM2D: 'ConvLSTM2DCell' };
// Layers and cells that carry two states (h and c).
const TWO_STATES = new Set(['LSTM', 'ConvLSTM2D', 'LSTMCell', 'ConvLSTM2DCell']);
/** How many states a recurrent layer carries (tf.layers.rnn's: its cell's). */
function stateCount(layer) {
  const cls = layer.className === 'RNN' ? layer._config.cell?.className : layer.className;
  return TWO_STATES.has(cls) ? 2 : 1;
}
// The recurrent layers' own options (the rest configure the cell).
const LAYER_ONLY = new Set(['returnSequences', 'returnState', 'goBackwards', 'stateful', 'unroll', 'name', 'inputShape', 'batchInputShape',
  'batchSize', 'dtype', 'inputDim', 'inputLength', 'trainable', 'cell', 'activityRegularizer']);

/**
 * A layer object standing for some of `owner`'s weights (those `pick` keeps): its weights,
 * trainable flags and values are the owner's.
 */
function view(Cls, className, config, owner, pick) {
  const v = new Cls(className, config);
  Object.defineProperty(v, '_variables', { value: () => owner._variables().filter(pick) });
  Object.defineProperty(v, '_weightInfo', { get: () => owner._weightInfo?.filter(pick), configurable: true });
  Object.defineProperty(v, '_trainable', { get: () => owner._trainable, set: (x) => { owner.trainable = x; }, configurable: true });
  Object.defineProperty(v, '_model', { get: () => owner._model, configurable: true });
  v.getWeights = () => v._variables().map((w) => w._copy());
  v.setWeights = (ws) => {
    const all = owner.getWeights();
    const mine = owner._variables().map((w, i) => (pick(w) ? i : -1)).filter((i) => i >= 0);
    if (!Array.isArray(ws) || ws.length !== mine.length) throw new Error(`${className} '${v.name}': setWeights expects ${mine.length} tensors, received ${Array.isArray(ws) ? ws.length : ws}`);
    mine.forEach((i, k) => { all[i].dispose(); all[i] = ws[k]; });
    try { owner.setWeights(all); } finally { all.forEach((t, i) => { if (!mine.includes(i)) t.dispose(); }); }
  };
  return v;
}

/** The cell a recurrent layer steps (TF.js's lstm.cell), sharing the layer's weights. */
Object.defineProperty(RNN.prototype, 'cell', {
  get() {
    if (this.className === 'RNN') return this._cell ?? null;
    if (!this._cellView) {
      const config = Object.fromEntries(Object.entries(this._config).filter(([k]) => !LAYER_ONLY.has(k)));
      this._cellView = view(RNNCell, CELL_OF[this.className], { ...config, name: `${this.name}_cell` }, this, () => true);
    }
    return this._cellView;
  },
  set(v) { Object.defineProperty(this, 'cell', { value: v, writable: true, configurable: true }); },
  configurable: true,
});

/** The layer's index in the model holding its newest weights (its states live there too). */
function stateHome(layer, op) {
  if (!layer.stateful) return null;
  if (!layer._model) throw new Error(`${layer.className} '${layer.name}': ${op}: the layer has no states until it is in a model`);
  return layer._home();
}

/**
 * The states a stateful layer carries into its next batch (copies); a layer that is not stateful
 * gives one null per state, as TF.js does.
 */
RNN.prototype.getStates = function getStates() {
  const home = stateHome(this, 'getStates');
  if (!home) return new Array(stateCount(this)).fill(null);
  const [model, index] = home;
  return Array.from(engine.model_layer_states(model._id, index)).map(wrap);
};
/** Sets a stateful layer's carried states (one tensor per state, of the state's shape). */
RNN.prototype.setStates = function setStates(states) {
  const home = stateHome(this, 'setStates');
  if (!home) throw new Error(`${this.className} '${this.name}': setStates is for stateful layers (stateful: true)`);
  const list = Array.isArray(states) ? states : [states];
  list.forEach((t, i) => { if (!(t instanceof Tensor)) throw new Error(`${this.className} '${this.name}': setStates: state ${i} must be a Tensor, received ${t}`); });
  for (const [model, index] of this._homes) engine.model_set_layer_states(model._id, index, Uint32Array.from(list.map((t) => t._live())));
};
Object.defineProperty(RNN.prototype, 'states', { get() { return this.getStates(); }, configurable: true });
/** Zero states for a batch like `inputs` ([batch, units] each), as TF.js's getInitialState. */
RNN.prototype.getInitialState = function getInitialState(inputs) {
  const batch = inputs.shape[0];
  let shape = [batch, this._config.units ?? this._config.cell?.config?.units];
  if (this.className === 'ConvLSTM2D' || this._config.cell?.className === 'ConvLSTM2DCell') {
    // [batch, out height, out width, filters]: the last three axes of a step's output.
    let out = this.computeOutputShape(inputs.shape);
    if (Array.isArray(out[0])) out = out[0];
    shape = [batch, ...out.slice(-3)];
  }
  return new Array(stateCount(this)).fill(0).map(() => zeros(shape));
};

/** A Bidirectional layer's forward and backward layers, sharing its weights. */
for (const [key, part] of [['forwardLayer', 'forward_'], ['backwardLayer', 'backward_']]) {
  Object.defineProperty(Bidirectional.prototype, key, {
    get() {
      this._dirViews ??= {};
      if (!this._dirViews[key]) {
        const inner = this._config.layer;
        const name = `${part}${inner.config.name ?? inner.className.toLowerCase()}`;
        const config = { ...inner.config, name, goBackwards: part === 'backward_' ? !inner.config.goBackwards : !!inner.config.goBackwards };
        this._dirViews[key] = view(RNN, inner.className, config, this, (w) => w.name.includes(`/${part}`));
      }
      return this._dirViews[key];
    },
    configurable: true,
  });
}
