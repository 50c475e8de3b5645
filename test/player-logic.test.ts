import { describe, expect, it } from 'vitest';
import { ANALYSIS_VERSION, type AnalysisResult, type Candidate } from '../src/analysis/types.js';
import { FEATURE_NAMES, FEATURE_WIDTH } from '../src/policy/features.js';
import type { ModelJson } from '../src/policy/model.js';
import { validateEvent } from '../src/ingest/validate.js';
import { createRng } from '../src/train/prng.js';
import { BranchRamp } from '../src/player/branching.js';
import { eligibleCandidates } from '../src/player/eligible.js';
import { AFTER_JUMP_WINDOW_MS, jumpEvent, listenerSignal } from '../src/player/events.js';
import { JukeboxPolicy } from '../src/player/jukebox.js';
import { coldStartPolicy, DWELL_BARS, FEATURE_NAMES_BY_KIND, type BanditPolicy } from '../src/bandit/index.js';
import { DEFAULT_SETTINGS, LONG_SPAN_BEATS, normalizeSettings, readPageConfig, type PlayerSettings } from '../src/player/settings.js';

/** A synthetic analysis: `n` beats of 0.5 s; beat i (from 8) has candidates at spans -4, -8, +12, +40 (when in range). */
function fixture(n = 200, lastBranch = n - 8): AnalysisResult {
  const beats = Array.from({ length: n }, (_, i) => ({
    start: 0.25 + i * 0.5, duration: 0.5, confidence: 1, bar_position: i % 4, section: i < n / 2 ? 0 : 1,
    loudness_start: -12, loudness_max: -6, onset: 1, chroma: new Array(12).fill(0), timbre: new Array(13).fill(0),
  }));
  const candidates: Candidate[][] = beats.map((_, i) => {
    if (i < 8) return [];
    return [-4, -8, 12, 40]
      .map((span, k) => ({ span, k, target: i + span }))
      .filter((c) => c.target >= 0 && c.target <= lastBranch)
      .map(({ span, k, target }) => ({
        target,
        distance: 0.1 * (k + 1),
        forced: false,
        features: {
          similarity: Math.exp(-0.1 * (k + 1)), span, n_beats: n, same_section: (i < n / 2) === (target < n / 2),
          bar_position_match: true, loudness_delta_db: k, timbre_distance: k, chroma_distance: 0.05 * k,
          beat_duration_ratio: 1, onset_mismatch: 0.1 * k,
        },
      }));
  });
  return {
    version: ANALYSIS_VERSION, status: 'ok', warning: null,
    track: { duration: n * 0.5 + 0.5, sample_rate: 8000, analysis_sample_rate: 22050, tempo: 120, downmix: 'mid', tempo_confidence: 0.9, meter: 4, n_beats: n, threshold: 0.5, last_branch_beat: lastBranch },
    beats, sections: [{ start_beat: 0, end_beat: n / 2, label: 'A' }, { start_beat: n / 2, end_beat: n, label: 'B' }],
    candidates, timings_ms: { resample: 0, stft: 0, onset: 0, tempo: 0, beats: 0, features: 0, meter: 0, sections: 0, candidates: 0 },
  };
}

const settings = (over: Partial<PlayerSettings> = {}) => normalizeSettings({ ...DEFAULT_SETTINGS, ...over });
const sim = FEATURE_NAMES.indexOf('similarity');
/** p(good) = σ(40 · (similarity − 0.8)): strongly prefers the nearest candidates. */
const model: Pick<ModelJson, 'mean' | 'std' | 'weights' | 'bias'> & { version: string } = {
  version: 'test-model',
  mean: Array.from({ length: FEATURE_WIDTH }, (_, j) => (j === sim ? 0.8 : 0)),
  std: Array.from({ length: FEATURE_WIDTH }, () => 1),
  weights: Array.from({ length: FEATURE_WIDTH }, (_, j) => (j === sim ? 40 : 0)),
  bias: 0,
};

describe('branch timing (baseline statistics, seeded)', () => {
  it('with min = max = p, a fraction p of the beats that can branch do', () => {
    const rand = createRng(7);
    const ramp = new BranchRamp(settings({ minBranchChance: 0.3, maxBranchChance: 0.3 }));
    const s = settings({ minBranchChance: 0.3, maxBranchChance: 0.3, branchChanceDelta: 0.1 });
    const n = 20_000;
    let k = 0;
    for (let i = 0; i < n; i++) if (ramp.step(s, rand).branch) k++;
    // Binomial: sd = sqrt(n p (1-p)) ≈ 65; 5 sd.
    expect(Math.abs(k - 0.3 * n)).toBeLessThan(5 * Math.sqrt(n * 0.3 * 0.7));
  });

  it('the ramp grows by delta per beat up to max, resets after a branch, and the mean gap matches the exact value', () => {
    const s = settings({ minBranchChance: 0.1, maxBranchChance: 0.5, branchChanceDelta: 0.05 });
    // Exact: chance before the k-th draw after a reset is min(max, min + k·delta); P(gap = k) = c_k ∏_{j<k} (1 − c_j).
    let survive = 1;
    let mean = 0;
    for (let k = 1; k < 500; k++) {
      const c = Math.min(0.5, 0.1 + k * 0.05);
      mean += k * survive * c;
      survive *= 1 - c;
    }
    const rand = createRng(11);
    const ramp = new BranchRamp(s);
    const chances: number[] = [];
    let gaps = 0;
    let sum = 0;
    let since = 0;
    for (let i = 0; i < 50_000; i++) {
      since++;
      const r = ramp.step(s, rand);
      if (i < 12) chances.push(r.chance);
      if (r.branch) {
        gaps++;
        sum += since;
        since = 0;
        expect(ramp.chance).toBe(r.chance); // the draw does not reset: the jump being played does
        ramp.reset(s);
        expect(ramp.chance).toBe(0.1);
      }
    }
    expect(sum / gaps).toBeGreaterThan(mean * 0.97);
    expect(sum / gaps).toBeLessThan(mean * 1.03);
    expect(Math.max(...chances)).toBeLessThanOrEqual(0.5);
    expect(chances[0]).toBeCloseTo(0.15, 12);
  });

  it('the baseline policy jumps at the expected rate, takes candidates nearest first rotating, and always jumps back at the last branch beat', () => {
    const a = fixture(200);
    const s = settings({ minBranchChance: 0.25, maxBranchChance: 0.25 });
    const p = new JukeboxPolicy(a, s, { arm: 'baseline', model: null, scoring: {}, rand: createRng(3) });
    const picks = new Map<number, number[]>();
    let decisions = 0;
    let jumps = 0;
    for (let round = 0; round < 40; round++) {
      for (let b = 8; b < 150; b++) {
        decisions++;
        const d = p.decide(b);
        if (!d) continue;
        jumps++;
        expect(d.choice.propensity).toBe(1);
        expect(d.choice.candidates.reduce((x, c) => x + c.probability, 0)).toBe(1);
        const list = picks.get(b) ?? [];
        list.push(d.choice.index);
        picks.set(b, list);
      }
    }
    expect(Math.abs(jumps / decisions - 0.25)).toBeLessThan(0.02);
    for (const list of picks.values()) list.forEach((idx, k) => expect(idx).toBe(k % 4));
    // last_branch_beat: a backward jump every time, whatever the chance.
    const never = new JukeboxPolicy(a, settings({ minBranchChance: 0, maxBranchChance: 0, branchChanceDelta: 0 }), { arm: 'baseline', model: null, scoring: {}, rand: createRng(1) });
    for (let k = 0; k < 10; k++) {
      const d = never.decide(a.track.last_branch_beat)!;
      expect(d.trigger).toBe('last_branch');
      expect(d.target).toBeLessThan(a.track.last_branch_beat);
      expect(never.decide(100)).toBeNull();
    }
    // The ramp restarts only when the player says the jump was scheduled (a jump dropped as too late
    // for the audio clock leaves it high, so the next beat is as likely to branch).
    const ramped = new JukeboxPolicy(a, settings({ minBranchChance: 0.1, maxBranchChance: 1, branchChanceDelta: 0.2 }), { arm: 'baseline', model: null, scoring: {}, rand: () => 0.5 });
    expect(ramped.decide(20)).toBeNull(); // 0.3
    expect(ramped.decide(21)).toBeNull(); // 0.5: a draw of 0.5 is not below it
    const jump = ramped.decide(22)!; // 0.7 > 0.5: branch
    expect(jump.branchChance).toBeCloseTo(0.7, 12);
    expect(ramped.branchChance).toBeCloseTo(0.7, 12); // dropped: nothing said, the ramp stays
    expect(ramped.decide(23)!.branchChance).toBeCloseTo(0.9, 12);
    ramped.jumped();
    expect(ramped.branchChance).toBe(0.1);
    // Shift held: a jump at the next beat that has a candidate.
    expect(never.decide(100, true)?.trigger).toBe('forced');
    expect(never.decide(3, true)).toBeNull();
  });

  it('filters: threshold, only backward, only long', () => {
    const a = fixture(200);
    expect(eligibleCandidates(a, 100, settings()).map((c) => c.target - 100)).toEqual([-4, -8, 12, 40]);
    expect(eligibleCandidates(a, 100, settings({ threshold: 0.25 })).map((c) => c.target - 100)).toEqual([-4, -8]);
    expect(eligibleCandidates(a, 100, settings({ onlyBackward: true })).every((c) => c.target < 100)).toBe(true);
    expect(eligibleCandidates(a, 100, settings({ onlyLong: true })).map((c) => c.target - 100)).toEqual([40]);
    expect(LONG_SPAN_BEATS).toBe(32);
  });
});

describe('rl arm (seeded)', () => {
  it('ranks by p(good); probabilities sum to 1; the logged propensity is the chosen candidate\u2019s probability; frequencies match', () => {
    const a = fixture(200);
    const p = new JukeboxPolicy(a, settings({ minBranchChance: 1, maxBranchChance: 1 }), {
      arm: 'rl', model, scoring: { floor: 0.3, temperature: 0.5, epsilon: 0.1 }, rand: createRng(5),
    });
    const counts = [0, 0, 0, 0];
    let probs: number[] = [];
    const n = 8000;
    for (let i = 0; i < n; i++) {
      const d = p.decide(100)!;
      expect(d).not.toBeNull();
      const cs = d.choice.candidates;
      const total = cs.reduce((x, c) => x + c.probability, 0);
      expect(total).toBeCloseTo(1, 12);
      expect(d.choice.propensity).toBe(cs[d.choice.index].probability);
      expect(d.choice.propensity).toBeGreaterThan(0);
      expect(d.choice.propensity).toBeLessThanOrEqual(1);
      expect(cs[d.choice.index].chosen).toBe(true);
      expect(d.choice.qualityScore).toBe(cs[d.choice.index].p_good);
      counts[d.choice.index]++;
      probs = cs.map((c) => c.probability);
    }
    // Ranked: nearer (more similar) candidates get more probability; the far ones fall under the floor.
    expect(probs[0]).toBeGreaterThan(probs[1]);
    expect(probs[1]).toBeGreaterThan(0);
    expect(probs[3]).toBe(0);
    expect(counts[3]).toBe(0);
    probs.forEach((q, i) => expect(Math.abs(counts[i] / n - q)).toBeLessThan(4 * Math.sqrt((q * (1 - q)) / n) + 1e-9));
  });

  it('builds a jump event the ingest validator accepts, with context = the chosen features + n_beats', () => {
    const a = fixture(200);
    const s = settings({ minBranchChance: 1, maxBranchChance: 1 });
    const p = new JukeboxPolicy(a, s, { arm: 'rl', model, scoring: {}, rand: createRng(9) });
    const d = p.decide(120)!;
    const e = jumpEvent(d, a.beats, { sessionId: 's-1', trackId: 'demo', trackTitle: 'Demo <b>', arm: 'rl', modelVersion: 'test-model', fallback: null }, s, '0b7c1a9e-9c1e-4c6e-8a43-5b0b3cfa1d11', 1_700_000_000_000);
    const v = validateEvent(JSON.parse(JSON.stringify(e)), 0, 1);
    expect(v.ok).toBe(true);
    expect(e.policy_mode).toBe('rl');
    expect(e.source_index).toBe(120);
    expect(e.target_index).toBe(d.target);
    expect(e.source_time).toBe(a.beats[120].start);
    expect(e.span).toBe(d.target - 120);
    expect(e.context.n_beats).toBe(200);
    expect(e.context.chroma_distance).toBe(d.chosen.features.chroma_distance);
    expect(e.settings.crossfade_ms).toBe(30);
    expect(e.candidates.length).toBe(4);
    expect(e.candidates[0].features.similarity).toBeCloseTo(Math.exp(-0.1), 12);
  });
});

describe('bandit arm and shadow mode (seeded)', () => {
  const cold = coldStartPolicy({ algorithm: 'squarecb', floor: 0.02, epsilon: 0.1 });
  /** A trained-looking policy: prefers similar candidates and a 2-bar dwell. */
  const trained: BanditPolicy = {
    ...cold,
    version: 'b1-test',
    kinds: {
      jump: { ...cold.kinds.jump, weights: FEATURE_NAMES_BY_KIND.jump.map((n) => (n === 'similarity' ? 1 : 0)), gamma: 20 },
      dwell: { ...cold.kinds.dwell, weights: [0.5, 0, 0.3, 0, 0], gamma: 20 },
    },
  };

  it('decides jumps and dwells with exact probabilities and holds random branching back for the dwell', () => {
    const a = fixture(200);
    const p = new JukeboxPolicy(a, settings({ minBranchChance: 1, maxBranchChance: 1 }), { arm: 'rl', bandit: trained, scoring: {}, rand: createRng(3) });
    for (let t = 0; t < 300; t++) {
      const d = p.decide(100)!;
      expect(d.policyVersion).toBe('b1-test');
      const probs = d.choice.candidates.map((c) => c.probability);
      expect(Math.abs(probs.reduce((x, y) => x + y, 0) - 1)).toBeLessThan(1e-12);
      probs.forEach((q) => expect(q).toBeGreaterThanOrEqual(0.02 - 1e-15));
      expect(d.choice.propensity).toBe(probs[d.choice.index]);
      expect(probs[0]).toBeGreaterThan(probs[3]!); // the most similar candidate is preferred
      p.jumped(d);
      const dw = d.dwell!;
      expect(dw.propensity).toBe(dw.probabilities[dw.index]);
      expect(dw.bars).toBe(DWELL_BARS[dw.index]);
      expect(dw.beats).toBe(dw.bars * 4);
      expect(p.dwellLeft).toBe(dw.beats);
      // With a branch chance of 1, the next random branch comes exactly after the dwell.
      let beats = 0;
      for (let b = 101; p.decide(b) === null; b++) beats++;
      expect(beats).toBe(dw.beats);
    }
    // The last branch beat still jumps during a dwell.
    const d = p.decide(100)!;
    p.jumped(d);
    if (d.dwell!.beats > 0) expect(p.decide(a.track.last_branch_beat)).not.toBeNull();
  });

  it('shadow mode acts as the baseline and logs the bandit beside it', () => {
    const a = fixture(200);
    const s = settings({ minBranchChance: 1, maxBranchChance: 1 });
    const p = new JukeboxPolicy(a, s, { arm: 'baseline', bandit: trained, shadow: true, scoring: {}, rand: createRng(4) });
    const base = new JukeboxPolicy(a, s, { arm: 'baseline', scoring: {}, rand: createRng(4) });
    for (let t = 0; t < 50; t++) {
      const d = p.decide(100)!;
      const b = base.decide(100)!;
      expect(d.target).toBe(b.target); // the baseline's rotation, untouched
      expect(d.choice.propensity).toBe(1);
      const sh = d.shadow!;
      expect(sh.policy_version).toBe('b1-test');
      expect(sh.jump.probabilities).toHaveLength(d.choice.candidates.length);
      expect(sh.jump.propensity).toBe(sh.jump.probabilities[sh.jump.index]);
      p.jumped(d);
      base.jumped(b);
      expect(d.dwell).toBeUndefined();
      expect(sh.dwell!.probabilities).toHaveLength(5);
      expect(p.dwellLeft).toBe(0); // the baseline never dwells
      const e = jumpEvent(d, a.beats, { sessionId: 's', trackId: 'demo', trackTitle: null, arm: 'baseline', modelVersion: null, fallback: null }, s, `0b7c1a9e-9c1e-4c6e-8a43-5b0b3cfa1d${String(t).padStart(2, '0')}`, 1);
      expect(e.context.shadow).toEqual(sh);
      expect(validateEvent(JSON.parse(JSON.stringify(e)), 0, 1).ok).toBe(true);
    }
  });
});

describe('listener signals', () => {
  it('names the last jump only within the window after it was heard', () => {
    const base = { signalId: 'x', session: { sessionId: 's', trackId: 't', arm: 'baseline' as const }, kind: 'seek' as const, positionS: 12.3456, beatIndex: 7 };
    const j = { eventId: 'e1', heardAt: 1000 };
    const within = listenerSignal({ ...base, clientTs: 1000 + 2500, lastJump: j });
    expect(within).toMatchObject({ after_jump_event_id: 'e1', ms_since_jump: 2500, position_s: 12.346, beat_index: 7, policy_mode: 'baseline' });
    const late = listenerSignal({ ...base, clientTs: 1000 + AFTER_JUMP_WINDOW_MS + 1, lastJump: j });
    expect(late.after_jump_event_id).toBeUndefined();
    expect(listenerSignal({ ...base, clientTs: 500, lastJump: j }).after_jump_event_id).toBeUndefined();
  });
});

describe('page configuration', () => {
  it('logging is off by default; HARMONIZER_CONFIG or ?rl=1 turns it on; the query wins', () => {
    expect(readPageConfig(undefined, '').rlLoggingEnabled).toBe(false);
    expect(readPageConfig({ rlLoggingEnabled: true }, '').rlLoggingEnabled).toBe(true);
    expect(readPageConfig(undefined, '?rl=1').rlLoggingEnabled).toBe(true);
    expect(readPageConfig({ rlLoggingEnabled: true }, '?rl=0').rlLoggingEnabled).toBe(false);
    expect(readPageConfig({ apiBaseUrl: 'https://api.example.com/' }, '').apiBaseUrl).toBe('https://api.example.com');
    expect(readPageConfig({ apiBaseUrl: 'javascript:alert(1)' }, '').apiBaseUrl).toBe('');
    const c = readPageConfig({ settings: { crossfadeMs: 50, minBranchChance: 0.4 } }, '?max_branch_chance=0.9&only_backward=1&crossfade_ms=9999&track=demo&autoplay=1');
    expect(c.settings).toMatchObject({ crossfadeMs: 250, minBranchChance: 0.4, maxBranchChance: 0.9, onlyBackward: true });
    expect(c.trackId).toBe('demo');
    expect(c.autoplay).toBe(true);
    // max below min is raised to min.
    expect(normalizeSettings({ minBranchChance: 0.6, maxBranchChance: 0.2 }).maxBranchChance).toBe(0.6);
  });
});
