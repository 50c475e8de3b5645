import { describe, expect, it } from 'vitest';
import type { TrackRow } from '../../src/store/index.js';
import type { ContractContext } from './context.js';

const track = (over: Partial<TrackRow> = {}): TrackRow => ({
  track_id: 'a', title: 'A', path: '/t/a.wav', sha256: 'f'.repeat(64), duration: 12.5, sample_rate: 44100, channels: 2, added_at: 1000, ...over,
});

export function tracksContract(ctx: ContractContext): void {
  describe(`tracks (${ctx.backend})`, () => {
    it('insertNew registers only a free id: the first of two registrations wins, the second changes nothing', async () => {
      const s = await ctx.fresh();
      expect(await s.tracks.insertNew(track())).toBe(true);
      expect(await s.tracks.insertNew(track({ title: 'other', sha256: 'e'.repeat(64) }))).toBe(false);
      expect(await s.tracks.get('a')).toEqual(track());
      expect(await s.tracks.insertNew(track({ track_id: 'b' }))).toBe(true);
      expect((await s.tracks.list()).map((t) => t.track_id)).toEqual(['a', 'b']);
    });
    it('upsert registers and replaces, get returns the row as stored (numbers as numbers)', async () => {
      const s = await ctx.fresh();
      expect(await s.tracks.get('a')).toBeUndefined();
      await s.tracks.upsert(track());
      expect(await s.tracks.get('a')).toEqual(track());
      await s.tracks.upsert(track({ title: 'A2', path: '/t/a.mp3', sha256: 'e'.repeat(64), duration: 3.25, sample_rate: 22050, channels: 1, added_at: 2000 }));
      expect(await s.tracks.get('a')).toEqual(track({ title: 'A2', path: '/t/a.mp3', sha256: 'e'.repeat(64), duration: 3.25, sample_rate: 22050, channels: 1, added_at: 2000 }));
      expect(await s.tracks.list()).toHaveLength(1);
    });

    it('list orders by added_at then track_id in byte order; bySha256 returns the first registered', async () => {
      const s = await ctx.fresh();
      expect(await s.tracks.list()).toEqual([]);
      await s.tracks.upsert(track({ track_id: 'b', added_at: 2000 }));
      await s.tracks.upsert(track({ track_id: 'a', added_at: 2000 }));
      await s.tracks.upsert(track({ track_id: 'Z', added_at: 2000 }));
      await s.tracks.upsert(track({ track_id: 'z', added_at: 1000, sha256: 'a'.repeat(64) }));
      await s.tracks.upsert(track({ track_id: '_x', added_at: 2000 }));
      // Byte order: 'Z' (0x5a) < '_' (0x5f) < 'a' < 'b' (a locale collation would put them otherwise).
      expect((await s.tracks.list()).map((t) => t.track_id)).toEqual(['z', 'Z', '_x', 'a', 'b']);
      expect((await s.tracks.bySha256('f'.repeat(64)))?.track_id).toBe('Z');
      expect((await s.tracks.bySha256('a'.repeat(64)))?.track_id).toBe('z');
      expect(await s.tracks.bySha256('0'.repeat(64))).toBeUndefined();
    });
  });
}
