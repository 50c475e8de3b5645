/**
 * Piscina worker of the training pool: computes gradient partials for a slice of chunks over shared
 * memory. Stateless; validates the task shape so a bad task fails as a value instead of writing out of bounds.
 */
import { chunkPartials, partialStride } from './logreg.js';
import type { TaskReply, TrainTask } from './messages.js';

const F64 = Float64Array.BYTES_PER_ELEMENT;

function check(task: TrainTask): string | null {
  const { data, chunkRows, chunkStart, chunkEnd } = task;
  const { rows, cols } = data;
  if (task.kind !== 'gradient') return `unknown task kind ${String((task as { kind: unknown }).kind)}`;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 1) return 'bad matrix shape';
  if (data.x.byteLength < rows * cols * F64 || data.y.byteLength < rows * F64) return 'matrix buffers too small';
  if (task.weights && task.weights.byteLength < rows * F64) return 'weights buffer too small';
  if (!(task.params instanceof Float64Array) || task.params.length !== cols + 1) return 'params must be cols + 1 float64';
  if (!Number.isInteger(chunkRows) || chunkRows < 1) return 'bad chunkRows';
  const chunks = Math.ceil(rows / chunkRows);
  if (!Number.isInteger(chunkStart) || !Number.isInteger(chunkEnd) || chunkStart < 0 || chunkEnd > chunks || chunkStart > chunkEnd) {
    return `chunk range [${chunkStart}, ${chunkEnd}) outside [0, ${chunks})`;
  }
  if (task.out.byteLength < chunks * partialStride(cols) * F64) return 'out buffer too small';
  return null;
}

export default function run(task: TrainTask): TaskReply {
  const problem = check(task);
  if (problem) return { ok: false, code: 'INVALID_ARGUMENT', message: `training worker: ${problem}` };
  const { data, params } = task;
  const cols = data.cols;
  chunkPartials(
    new Float64Array(data.x, 0, data.rows * cols),
    new Float64Array(data.y, 0, data.rows),
    task.weights ? new Float64Array(task.weights, 0, data.rows) : null,
    data.rows,
    cols,
    params.subarray(0, cols),
    params[cols],
    task.chunkStart,
    task.chunkEnd,
    task.chunkRows,
    new Float64Array(task.out),
  );
  return { ok: true, chunks: task.chunkEnd - task.chunkStart };
}
