/** Public surface of the demo-track generator. `fixtures.ts` (synthetic test signals) is for tests and benchmarks. */
export { generateDemoTrack, DEMO_SAMPLE_RATE, type DemoOptions, type DemoSection, type DemoTrack } from './track.js';
