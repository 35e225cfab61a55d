/**
 * O-information across hidden layers (docs/measures.md "Several layers"): each layer's neurons
 * are clustered into Ward bins on their own (the paper's bins protocol, layer by layer), and the bins of
 * all the layers become the units of one measurement, so a multiplet may draw bins from several layers.
 *
 *   mode 'groups' (default)  each bin is one vector-valued variable (grouped O-information: the entropies
 *                            are those of the bins' joint Gaussian copula, a bin's internal dependence
 *                            does not count as synergy or redundancy)
 *   mode 'bins'              a multiplet of bins is the union of their neurons, each neuron a variable
 *                            (as the single-layer bins mode)
 *
 * The layers are measured on the same samples (rows): activations of one network on one input set.
 */
import { invalidArgument } from '../core/errors.js';
import type { Matrix } from '../core/io.js';
import { oinfo, type MultipletRecord, type OInfoOptions, type OInfoReport } from './oinfo.js';

export interface CrossLayerOptions extends Omit<OInfoOptions, 'bins' | 'groups' | 'columnNames' | 'out'> {
  /** Ward bins per layer (the paper: 10). */
  bins: number;
  mode?: 'groups' | 'bins';
}

/** A unit of the cross-layer measurement: one Ward bin of one layer. */
export interface LayerUnit {
  layer: number;
  /** The bin's neurons, indices inside its layer. */
  neurons: number[];
}

export interface CrossLayerReport extends OInfoReport {
  /** Unit i of every multiplet record (members) is layerUnits[i]. */
  layerUnits: LayerUnit[];
  /** The measured columns (records' `variables` and unitsList index them): the binned neurons of each layer in turn. */
  columns: { layer: number; neuron: number }[];
}

/** The layers of a multiplet: for each member unit, its layer. */
export function layersOf(r: CrossLayerReport, m: MultipletRecord): number[] {
  return m.members.map((u) => r.layerUnits[u]!.layer);
}

/** Ward bins of each layer (constant neurons left out, as the bins protocol does), then one measurement over all of them. */
export async function crossLayerOInfo(layers: Matrix[], options: CrossLayerOptions): Promise<CrossLayerReport> {
  if (!Array.isArray(layers) || layers.length < 1) throw invalidArgument('layers', 'a non-empty list of activation matrices (one per hidden layer)', layers);
  const N = layers[0].rows;
  layers.forEach((m, l) => {
    if (m.rows !== N) throw invalidArgument(`layers[${l}]`, `${N} rows (the samples of layer 0)`, m.rows);
  });
  const { bins, mode = 'groups', ...rest } = options;
  if (mode !== 'groups' && mode !== 'bins') throw invalidArgument('mode', "'groups' or 'bins'", mode);
  // Each layer's Ward bins: the single-layer bins pipeline, asked for pairs only (the cheapest measurement that reports its bins).
  const perLayer: number[][][] = [];
  for (const [l, m] of layers.entries()) {
    if (!Number.isInteger(bins) || bins < 1 || bins > m.cols) throw invalidArgument('bins', `an integer in [1, ${m.cols}] (layer ${l} has ${m.cols} neurons)`, bins);
    if (bins === 1) {
      perLayer.push([Array.from({ length: m.cols }, (_, i) => i)]);
      continue;
    }
    const r = (await oinfo(m, { bins: { ward: bins }, minSize: 2, maxSize: 2, ties: rest.ties, seed: rest.seed, backend: rest.backend, threads: rest.threads, signal: rest.signal })) as OInfoReport;
    perLayer.push(r.unitsList);
  }
  // The measured matrix: the binned neurons of every layer (constant ones were left out of the bins), layer by layer.
  const columns: { layer: number; neuron: number }[] = [];
  const layerUnits: LayerUnit[] = [];
  const units: number[][] = [];
  perLayer.forEach((list, l) => {
    const start = columns.length;
    const kept = [...new Set(list.flat())].sort((x, y) => x - y);
    const at = new Map(kept.map((n, i) => [n, start + i]));
    kept.forEach((neuron) => columns.push({ layer: l, neuron }));
    for (const neurons of list) {
      layerUnits.push({ layer: l, neurons: [...neurons] });
      units.push(neurons.map((n) => at.get(n)!));
    }
  });
  const D = columns.length;
  const data = new Float64Array(N * D);
  columns.forEach(({ layer, neuron }, c) => {
    const m = layers[layer];
    for (let t = 0; t < N; t++) data[t * D + c] = m.data[t * m.cols + neuron];
  });
  const columnNames = columns.map(({ layer, neuron }) => `L${layer}.${neuron}`);
  const r = (await oinfo({ data, rows: N, cols: D }, { ...rest, ...(mode === 'groups' ? { groups: units } : { bins: units }), columnNames })) as OInfoReport;
  return { ...r, layerUnits, columns };
}
