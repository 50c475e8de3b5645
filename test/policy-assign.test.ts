import { describe, expect, it } from 'vitest';
import { chooseArm } from '../src/policy/assign.js';
import { mulberry32 } from '../src/shared/prng.js';

describe('chooseArm', () => {
  it('baseline and rl modes are deterministic', () => {
    expect(chooseArm({ mode: 'baseline', holdout: 0.2, rand: Math.random })).toMatchObject({ arm: 'baseline', probability: 1, shadow: false });
    expect(chooseArm({ mode: 'rl', holdout: 0.2, rand: Math.random })).toMatchObject({ arm: 'rl', probability: 1, shadow: false });
  });

  it('shadow: the baseline acts and the session is marked shadow', () => {
    expect(chooseArm({ mode: 'shadow', holdout: 0.2, rand: Math.random })).toMatchObject({ arm: 'baseline', probability: 1, shadow: true });
  });

  it('auto: baseline holdout with the drawn probability recorded', () => {
    expect(chooseArm({ mode: 'auto', holdout: 0.2, rand: () => 0.1 })).toMatchObject({ arm: 'baseline', probability: 0.2 });
    expect(chooseArm({ mode: 'auto', holdout: 0.2, rand: () => 0.5 })).toMatchObject({ arm: 'rl', probability: 0.8 });
    expect(chooseArm({ mode: 'auto', holdout: 0, rand: () => 0 })).toMatchObject({ arm: 'rl', probability: 1 });
    expect(chooseArm({ mode: 'auto', holdout: 1, rand: () => 0.99 })).toMatchObject({ arm: 'baseline', probability: 1 });
  });

  it('empirical split matches the holdout', () => {
    const rand = mulberry32(7);
    const n = 20000;
    let base = 0;
    for (let i = 0; i < n; i++) if (chooseArm({ mode: 'auto', holdout: 0.2, rand }).arm === 'baseline') base++;
    expect(base / n).toBeCloseTo(0.2, 2);
  });
});
