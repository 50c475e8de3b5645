/** The simulation that proves the loop learns (harmonizer simulate, make bench-learning). */
export { runSimulation, type SimOptions, type SimReport, type SimProgress, type OpeRow } from './run.js';
export { BUILT_IN_TASTES, loadTaste, pGoodOf, pKeepOf, validateTaste, type Taste } from './taste.js';
export { summarize, gapClosed, ARMS, type SimArm, type ArmReport } from './report.js';
