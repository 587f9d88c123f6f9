/* A model of a native kernel for the tracks and windows of the statistics engine
 * (statserver/core/stats/track.py and windows.py): their state as C structs in arrays,
 * replaying a trace of the calls the Python engine made to its tracks, or to its windows,
 * then checking every window's totals, every track's open segments and the number of
 * changed statistics against what the Python engine had at the end of the same trace.
 *
 * It is a measuring instrument for bench/README.md ("What limits each target"), not part of
 * the server: bench/kernel_model.py records the traces, builds this file with the system's
 * C compiler and runs it.  Only what the benchmark's mix uses is modelled: no
 * AverageOfCurrentTime integral, no custom extractors, Growing profiles that reset every
 * `period` seconds in UTC (or never); the recorder refuses anything else.
 *
 * Usage: kernel_model DIR MODE LAYOUT REPEAT
 *   DIR     holds table.bin, expected.bin, and trace.bin or tracks.bin and
 *           tracks_expected.bin (see kernel_model.py)
 *   MODE    "windows": replay the calls the tracks made to the windows (trace.bin);
 *           "tracks": replay the calls the feeds made to the tracks (tracks.bin): the open
 *           segments of every track in one hash table, the fan-out to the windows, and the
 *           changed tracks turned into the changed statistics every 100 events
 *   LAYOUT  "track": windows in the order of their tracks (a kernel would allocate a track's
 *           windows together); "shuffled": a fixed random permutation (the worst case)
 *   REPEAT  replays, each on a fresh copy of the windows; the best and the median are printed
 * Prints one JSON object on stdout.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int64_t i64;

enum { OP_START = 0, OP_END_DONE = 1, OP_END_LEFT = 2, OP_INSTANT = 3 };
enum { KIND_GROWING = 0, KIND_SLIDING = 1 };
#define NEVER ((i64)1 << 62)

/* the counters of one interval or step (Acc in windows.py) */
typedef struct {
    i64 entries, carry, done, ptime, ctime, atime, max_d, min_d, max_n, min_n;
} Counters;

typedef struct {
    i64 kind, a, b; /* growing: period (0: never), -; sliding: step, window */
} Profile;

typedef struct {
    Counters c;         /* the interval or the step in progress */
    i64 n, s1, opened;  /* open segments, sum of their effective starts, opening time */
    i64 x1, x2;         /* growing: start, end; sliding: k, created_k */
    i64 ranges;         /* offset of 2*nranges counters in the range pool, -1: none */
    i64 ring;           /* offset of the ring's slots in the ring pool, -1: none yet */
    int32_t prof, set;  /* profile, range bounds set */
    int16_t nranges, leave_max;
    int32_t pad;
} Win;

/* one slot of a Sliding ring: a past step, its counters in 32 bits (a step lasts at most
 * 600 s in the mix: its times and counts fit, and `narrow` stops the run if one does not);
 * its range counters in the range pool */
typedef struct {
    int32_t entries, carry, done, ptime, ctime, atime, max_d, min_d, max_n, min_n;
    int32_t ranges;   /* offset in the range pool, -1: none */
    int32_t present;  /* 0: the step is empty (None in windows.py) */
} Slot;

static Profile *profiles;
static i64 n_profiles, rmax, n_sets;
static i64 *sets; /* n_sets x 2*rmax bounds */

/* pools that grow: range counters and ring slots */
static i64 *rpool;
static i64 rpool_len, rpool_cap;
static Slot *spool;
static i64 spool_len, spool_cap;

static void die(const char *msg) {
    fprintf(stderr, "kernel_model: %s\n", msg);
    exit(2);
}

/* n zeroed elements of `size` bytes at the end of a pool that grows: their offset */
static i64 pool_alloc(void **pool, i64 *len, i64 *cap, i64 n, size_t size) {
    if (*len + n > *cap) {
        *cap = (*cap + n) * 2;
        *pool = realloc(*pool, (size_t)*cap * size);
        if (!*pool) die("out of memory");
    }
    i64 off = *len;
    memset((char *)*pool + (size_t)off * size, 0, (size_t)n * size);
    *len += n;
    return off;
}

static i64 rpool_alloc(i64 n) {
    return pool_alloc((void **)&rpool, &rpool_len, &rpool_cap, n, sizeof(i64));
}

static i64 spool_alloc(i64 n) {
    return pool_alloc((void **)&spool, &spool_len, &spool_cap, n, sizeof(Slot));
}

static int32_t narrow(i64 v) {
    if (v < INT32_MIN || v > INT32_MAX) die("a step's counter does not fit in 32 bits");
    return (int32_t)v;
}

static void slot_store(Slot *s, const Counters *c) {
    s->entries = narrow(c->entries); s->carry = narrow(c->carry); s->done = narrow(c->done);
    s->ptime = narrow(c->ptime); s->ctime = narrow(c->ctime); s->atime = narrow(c->atime);
    s->max_d = narrow(c->max_d); s->min_d = narrow(c->min_d); s->max_n = narrow(c->max_n);
    s->min_n = narrow(c->min_n);
}

static void slot_load(const Slot *s, Counters *c) {
    c->entries = s->entries; c->carry = s->carry; c->done = s->done; c->ptime = s->ptime;
    c->ctime = s->ctime; c->atime = s->atime; c->max_d = s->max_d; c->min_d = s->min_d;
    c->max_n = s->max_n; c->min_n = s->min_n;
}

static i64 floordiv(i64 a, i64 b) {
    i64 q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static void zero(Win *w, i64 n_open) {
    Counters *c = &w->c;
    c->entries = 0; c->carry = n_open; c->done = 0; c->ptime = 0; c->ctime = 0; c->atime = 0;
    c->max_d = -1; c->min_d = -1; c->max_n = n_open; c->min_n = n_open;
    if (w->nranges) memset(rpool + w->ranges, 0, (size_t)(2 * w->nranges) * sizeof(i64));
}

static void complete(Win *w, i64 clipped, i64 whole) {
    Counters *c = &w->c;
    c->done += 1;
    c->ctime += clipped;
    c->atime += whole;
    if (clipped > c->max_d) c->max_d = clipped;
    if (c->min_d < 0 || clipped < c->min_d) c->min_d = clipped;
    if (w->nranges) {
        const i64 *bounds = sets + w->set * 2 * rmax;
        i64 *r = rpool + w->ranges;
        for (int i = 0; i < w->nranges; i++)
            if (bounds[2 * i] <= clipped && clipped < bounds[2 * i + 1]) {
                r[2 * i] += 1;
                r[2 * i + 1] += clipped;
            }
    }
}

/* -- Growing ------------------------------------------------------------------------------ */
static i64 next_reset(const Profile *p, i64 t) {
    if (p->a == 0) return NEVER;
    return (floordiv(t, p->a) + 1) * p->a;
}

static void g_advance(Win *w, i64 t) {
    const Profile *p = &profiles[w->prof];
    while (t >= w->x2) {
        i64 boundary = w->x2;
        w->c.ptime += w->n * boundary - w->s1;
        w->x1 = boundary;
        w->x2 = next_reset(p, boundary);
        w->s1 = w->n * boundary;
        zero(w, w->n);
    }
}

/* -- Sliding ------------------------------------------------------------------------------ */
static int is_empty(const Counters *c) {
    return c->carry == 0 && c->max_n == 0 && c->entries == 0 && c->done == 0 && c->max_d < 0;
}

static i64 ring_size(const Profile *p) { return p->b / p->a; }

static void ring_make(Win *w, const Profile *p) {
    i64 size = ring_size(p);
    w->ring = spool_alloc(size);
    if (w->nranges)
        for (i64 j = 0; j < size; j++)
            spool[w->ring + j].ranges = narrow(rpool_alloc(2 * w->nranges));
    else
        for (i64 j = 0; j < size; j++) spool[w->ring + j].ranges = -1;
}

static void close_step(Win *w, const Profile *p) {
    if (is_empty(&w->c)) {
        if (w->ring >= 0) spool[w->ring + w->x1 % ring_size(p)].present = 0;
        return;
    }
    if (w->ring < 0) ring_make(w, p);
    Slot *s = &spool[w->ring + w->x1 % ring_size(p)];
    slot_store(s, &w->c);
    s->present = 1;
    if (w->nranges)
        memcpy(rpool + s->ranges, rpool + w->ranges, (size_t)(2 * w->nranges) * sizeof(i64));
}

/* slots lo..hi-1 (at most a ring's length): empty, or a whole step with n open */
static void fill(Win *w, const Profile *p, i64 lo, i64 hi, int present, i64 n) {
    i64 size = ring_size(p);
    for (i64 j = lo; j < hi; j++) {
        Slot *s = &spool[w->ring + j % size];
        s->present = present;
        if (present) {
            Counters c = {0, n, 0, n * p->a, 0, 0, -1, -1, n, n};
            slot_store(s, &c);
            if (w->nranges) memset(rpool + s->ranges, 0, (size_t)(2 * w->nranges) * sizeof(i64));
        }
    }
}

static void s_advance(Win *w, i64 t) {
    const Profile *p = &profiles[w->prof];
    i64 step = p->a, kk = floordiv(t, step);
    if (kk <= w->x1) return;
    i64 size = ring_size(p);
    if (kk - w->x1 > size) {
        w->x1 = kk - size;
        w->s1 = w->n * (w->x1 * step);
        zero(w, w->n);
    }
    while (w->x1 < kk) {
        if (w->n == 0) {
            close_step(w, p);
            if (w->ring >= 0) fill(w, p, w->x1 + 1, kk, 0, 0);
            w->x1 = kk;
            w->s1 = 0;
            zero(w, 0);
            return;
        }
        i64 boundary = (w->x1 + 1) * step;
        w->c.ptime += w->n * boundary - w->s1;
        w->s1 = w->n * boundary;
        close_step(w, p);
        w->x1 += 1;
        if (w->x1 < kk) {
            if (w->ring < 0) ring_make(w, p);
            fill(w, p, w->x1, kk, 1, w->n);
            w->x1 = kk;
            w->s1 = w->n * kk * step;
        }
        zero(w, w->n);
    }
}

/* -- the calls of a track ----------------------------------------------------------------- */
static inline i64 max64(i64 a, i64 b) { return a > b ? a : b; }

/* the window moved on to time t: the intervals or steps that ended before it rolled */
static inline void roll_to(Win *w, const Profile *p, i64 t) {
    if (p->kind == KIND_GROWING) {
        if (t >= w->x2) g_advance(w, t);
    } else if (floordiv(t, p->a) > w->x1) {
        s_advance(w, t);
    }
}

static inline void seg_start_(Win *w, i64 t) {
    roll_to(w, &profiles[w->prof], t);
    i64 n = ++w->n;
    w->s1 += t;
    w->c.entries += 1;
    if (n > w->c.max_n) w->c.max_n = n;
}

static inline void seg_end(Win *w, i64 seg_start, i64 t, int completed) {
    const Profile *p = &profiles[w->prof];
    i64 opened = w->opened, whole = t - max64(seg_start, opened), eff, clipped_start;
    roll_to(w, p, t);
    if (p->kind == KIND_GROWING) {
        eff = clipped_start = max64(seg_start, w->x1);
    } else {
        eff = max64(max64(w->x1 * p->a, seg_start), opened);
        clipped_start = max64(seg_start, max64(floordiv(t, p->a) * p->a - p->b, opened));
    }
    w->c.ptime += t - eff;
    w->s1 -= eff;
    i64 n = --w->n;
    if (completed)
        complete(w, t - clipped_start, whole);
    else if (w->leave_max && t - clipped_start > w->c.max_d)
        w->c.max_d = t - clipped_start;
    if (n < w->c.min_n) w->c.min_n = n;
}

static inline void instant(Win *w, i64 t, i64 duration) {
    roll_to(w, &profiles[w->prof], t);
    complete(w, duration, duration);
}

/* -- tracks: the open segments of each, and the fan-out to its windows (track.py) ---------- */
enum { T_START = 0, T_JOIN = 1, T_END = 2, T_LEAVE = 3, T_INSTANT = 4, T_UPDATE = 5, T_FLUSH = 6,
       T_EVENT = 15 };
enum { F_MEDIA = 1, F_PASSES = 2, F_REASONS = 4 };
#define NONE INT64_MIN

typedef struct {
    i64 sum_start, busy_since, busy_seg, end_pending, last_cur, last_seg, n_open;
    int32_t w_off, w_len, c_off, c_len; /* windows, then collapsed windows, in `widx` */
    int32_t s_off, s_len, pad2;         /* the watched statistics reading it, in `sidx` */
    int8_t local, reason_restart, pending, ordered_cur, ordered_seg, watched, dirty, pad;
} Track;

static Win *wins;
static Track *tracks;
static int32_t *widx;
/* the tracks changed since changes were last taken (as the tenant's `dirty` set) */
static int32_t *dirty;
static i64 n_dirty;
/* taking the changes: the watched statistics of the changed tracks, each once (as
 * Engine.take_changes makes a set of them) */
static int32_t *sidx, *taken;
static uint8_t *seen;
static i64 n_taken, taken_total;

static void take_changes(void) {
    n_taken = 0;
    for (i64 j = 0; j < n_dirty; j++) {
        Track *tr = &tracks[dirty[j]];
        tr->dirty = 0;
        for (int32_t k = 0; k < tr->s_len; k++) {
            int32_t stat = sidx[tr->s_off + k];
            if (!seen[stat]) {
                seen[stat] = 1;
                taken[n_taken++] = stat;
            }
        }
    }
    for (i64 j = 0; j < n_taken; j++) seen[taken[j]] = 0;
    taken_total += n_taken;
    n_dirty = 0;
}

/* every open segment of every track in one table: key (track << 32 | item) -> starts;
 * open addressing, linear probing, deletion by backward shift */
typedef struct {
    uint64_t key; /* 0: free (keys are stored plus one) */
    i64 seg_start, cur_start;
} Seg;
static Seg *segs;
static uint64_t seg_mask;
static i64 seg_count;

static uint64_t seg_hash(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return key;
}

static void seg_init(uint64_t capacity) {
    free(segs);
    segs = calloc(capacity, sizeof(Seg));
    if (!segs) die("out of memory (open segments)");
    seg_mask = capacity - 1;
    seg_count = 0;
}

static Seg *seg_find(uint64_t key) {
    for (uint64_t i = seg_hash(key) & seg_mask;; i = (i + 1) & seg_mask) {
        if (segs[i].key == key) return &segs[i];
        if (segs[i].key == 0) return NULL;
    }
}

static void seg_put(uint64_t key, i64 seg_start, i64 cur_start);

static void seg_grow(void) {
    Seg *old = segs;
    uint64_t old_cap = seg_mask + 1;
    segs = NULL;
    seg_init(old_cap * 2);
    for (uint64_t i = 0; i < old_cap; i++)
        if (old[i].key) seg_put(old[i].key, old[i].seg_start, old[i].cur_start);
    free(old);
}

static void seg_put(uint64_t key, i64 seg_start, i64 cur_start) {
    if ((uint64_t)(seg_count + 1) * 2 > seg_mask + 1) seg_grow();
    uint64_t i = seg_hash(key) & seg_mask;
    while (segs[i].key != 0) i = (i + 1) & seg_mask;
    segs[i].key = key;
    segs[i].seg_start = seg_start;
    segs[i].cur_start = cur_start;
    seg_count++;
}

static void seg_delete(Seg *s) {
    uint64_t i = (uint64_t)(s - segs), j = i;
    for (;;) {
        j = (j + 1) & seg_mask;
        if (segs[j].key == 0) break;
        uint64_t home = seg_hash(segs[j].key) & seg_mask;
        /* move j back to i unless its home lies cyclically in (i, j] */
        if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) {
            segs[i] = segs[j];
            i = j;
        }
    }
    segs[i].key = 0;
    seg_count--;
}

static void changed(Track *tr, i64 index) {
    if (tr->watched && !tr->dirty) {
        tr->dirty = 1;
        dirty[n_dirty++] = (int32_t)index;
    }
}

static void flush_collapsed(Track *tr) {
    i64 t = tr->end_pending;
    if (t == NONE || tr->busy_since == NONE) return;
    for (int32_t j = 0; j < tr->c_len; j++)
        seg_end(&wins[widx[tr->c_off + j]], tr->busy_seg, t, 1);
    tr->busy_since = NONE;
    tr->end_pending = NONE;
}

static void t_open(Track *tr, uint64_t key, i64 t, i64 cur_start) {
    i64 seg_start = t;
    if (tr->n_open == 0) {
        tr->ordered_cur = tr->ordered_seg = 1;
        if (tr->end_pending != NONE && tr->end_pending == t) {
            tr->end_pending = NONE; /* continuous: the track stays busy */
        } else {
            flush_collapsed(tr);
            tr->busy_since = cur_start;
            tr->busy_seg = seg_start;
            for (int32_t j = 0; j < tr->c_len; j++) seg_start_(&wins[widx[tr->c_off + j]], seg_start);
        }
    }
    seg_put(key, seg_start, cur_start);
    tr->n_open++;
    tr->sum_start += cur_start;
    if (cur_start < tr->last_cur) tr->ordered_cur = 0;
    tr->last_cur = cur_start;
    if (seg_start < tr->last_seg) tr->ordered_seg = 0;
    tr->last_seg = seg_start;
    for (int32_t j = 0; j < tr->w_len; j++) seg_start_(&wins[widx[tr->w_off + j]], seg_start);
}

/* the segment `s` ends at t: taken out of the table, then the windows told */
static void t_close(Track *tr, Seg *s, i64 t, int completed) {
    i64 seg_start = s->seg_start, cur_start = s->cur_start;
    seg_delete(s);
    tr->n_open--;
    tr->sum_start -= cur_start;
    for (int32_t j = 0; j < tr->w_len; j++)
        seg_end(&wins[widx[tr->w_off + j]], seg_start, t, completed);
    if (tr->n_open == 0 && tr->busy_since != NONE) {
        tr->end_pending = t;
        if (!tr->pending) flush_collapsed(tr);
    }
}

static void track_op(const i64 *rec) {
    i64 index = rec[0] >> 4, t = rec[1], flags = rec[3], x = rec[4];
    Track *tr = &tracks[index];
    uint64_t key = ((uint64_t)index << 32 | (uint64_t)rec[2]) + 1;
    Seg *s;
    switch (rec[0] & 15) {
        case T_START:
            if (!(flags & F_MEDIA)) return;
            if (flags & F_PASSES) t_open(tr, key, t, x);
            changed(tr, index);
            return;
        case T_JOIN:
            if (!(flags & F_MEDIA) || seg_find(key)) return;
            if (flags & F_PASSES) t_open(tr, key, t, x);
            changed(tr, index);
            return;
        case T_END:
        case T_LEAVE:
            s = seg_find(key);
            if (s) {
                t_close(tr, s, t, (rec[0] & 15) == T_END);
                changed(tr, index);
            }
            return;
        case T_INSTANT:
            if (!(flags & F_MEDIA) || !(flags & F_PASSES)) return;
            for (int32_t j = 0; j < tr->w_len; j++) instant(&wins[widx[tr->w_off + j]], t, x);
            changed(tr, index);
            return;
        case T_UPDATE: {
            if (!(flags & F_MEDIA)) return;
            int passes = (flags & F_PASSES) != 0;
            s = seg_find(key);
            if (!s) {
                if (passes) t_open(tr, key, t, tr->reason_restart ? t : x);
            } else if (!passes || ((flags & F_REASONS) && tr->reason_restart)) {
                t_close(tr, s, t, 1);
                if (passes) t_open(tr, key, t, t); /* a reason code restarted it */
            } else {
                return;
            }
            changed(tr, index);
            return;
        }
        case T_FLUSH:
            if (tr->end_pending != NONE && tr->n_open == 0) flush_collapsed(tr);
            return;
        default:
            die("tracks.bin: unknown operation");
    }
}

/* -- totals at `now` (on a copy: a read does not move the window) ------------------------- */
typedef struct {
    i64 entries, carry, done, ptime, ctime, atime, max_d, min_d, max_n, min_n, elapsed;
} Totals;

static void merge(Totals *tot, i64 *tr, const Counters *c, const i64 *ranges, int nr, int first) {
    tot->entries += c->entries; tot->done += c->done; tot->ptime += c->ptime;
    tot->ctime += c->ctime; tot->atime += c->atime;
    if (c->max_d > tot->max_d) tot->max_d = c->max_d;
    if (c->min_d >= 0 && (tot->min_d < 0 || c->min_d < tot->min_d)) tot->min_d = c->min_d;
    if (first) {
        tot->max_n = c->max_n; tot->min_n = c->min_n;
    } else {
        if (c->max_n > tot->max_n) tot->max_n = c->max_n;
        if (c->min_n < tot->min_n) tot->min_n = c->min_n;
    }
    if (ranges)
        for (int i = 0; i < 2 * nr; i++) tr[i] += ranges[i];
}

static void totals(const Win *orig, i64 now, Totals *tot, i64 *tr) {
    /* the copy gets range counters and a ring of its own (appended to the pools, dropped
     * after: the pools' lengths are restored by the caller) */
    Win w = *orig;
    const Profile *p = &profiles[w.prof];
    if (w.nranges) {
        w.ranges = rpool_alloc(2 * w.nranges);
        memcpy(rpool + w.ranges, rpool + orig->ranges, (size_t)(2 * w.nranges) * sizeof(i64));
    }
    if (p->kind == KIND_SLIDING && orig->ring >= 0) {
        i64 size = ring_size(p);
        ring_make(&w, p);
        for (i64 j = 0; j < size; j++) {
            Slot *d = &spool[w.ring + j];
            const Slot *s = &spool[orig->ring + j];
            int32_t ranges = d->ranges;
            *d = *s;
            d->ranges = ranges;
            if (w.nranges)
                memcpy(rpool + d->ranges, rpool + s->ranges, (size_t)(2 * w.nranges) * sizeof(i64));
        }
    }
    memset(tot, 0, sizeof *tot);
    tot->max_d = -1;
    tot->min_d = -1;
    memset(tr, 0, (size_t)(2 * rmax) * sizeof(i64));
    int nr = w.nranges;
    roll_to(&w, p, now);
    if (p->kind == KIND_GROWING) {
        merge(tot, tr, &w.c, nr ? rpool + w.ranges : NULL, nr, 1);
        tot->carry = w.c.carry;
        tot->ptime += w.n * now - w.s1;
        tot->elapsed = now - w.x1;
        return;
    }
    i64 size = ring_size(p);
    i64 first_k = w.x1 - size > w.x2 ? w.x1 - size : w.x2;
    int first = 1;
    static const Counters empty = {0, 0, 0, 0, 0, 0, -1, -1, 0, 0};
    for (i64 k = first_k; k < w.x1; k++) {
        const Counters *c = &empty;
        Counters loaded;
        const i64 *r = NULL;
        if (w.ring >= 0 && spool[w.ring + k % size].present) {
            slot_load(&spool[w.ring + k % size], &loaded);
            c = &loaded;
            if (nr) r = rpool + spool[w.ring + k % size].ranges;
        }
        if (first) tot->carry = c->carry;
        merge(tot, tr, c, r, nr, first);
        first = 0;
    }
    if (first) tot->carry = w.c.carry;
    merge(tot, tr, &w.c, nr ? rpool + w.ranges : NULL, nr, first);
    tot->ptime += w.n * now - w.s1;
    i64 wstart = floordiv(now, p->a) * p->a - p->b;
    if (w.opened > wstart) wstart = w.opened;
    tot->elapsed = now - wstart;
}

/* -- files ---------------------------------------------------------------------------------- */
static i64 *read_all(const char *dir, const char *name, i64 *count) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) die(path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    i64 *buf = malloc((size_t)size + 8);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) die("cannot read a file");
    fclose(f);
    *count = size / 8;
    return buf;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 5) die("usage: kernel_model DIR windows|tracks track|shuffled REPEAT");
    const char *dir = argv[1];
    int by_tracks = strcmp(argv[2], "tracks") == 0;
    if (!by_tracks && strcmp(argv[2], "windows") != 0) die("MODE: windows or tracks");
    int shuffled = strcmp(argv[3], "shuffled") == 0;
    if (!shuffled && strcmp(argv[3], "track") != 0) die("LAYOUT: track or shuffled");
    int repeat = atoi(argv[4]);
    if (repeat < 1) die("REPEAT: 1 or more");

    i64 len;
    i64 *table = read_all(dir, "table.bin", &len);
    i64 n_windows = table[0];
    n_profiles = table[1];
    rmax = table[2];
    n_sets = table[3];
    i64 pos = 4;
    profiles = malloc((size_t)n_profiles * sizeof(Profile));
    for (i64 i = 0; i < n_profiles; i++, pos += 3) {
        profiles[i].kind = table[pos];
        profiles[i].a = table[pos + 1];
        profiles[i].b = table[pos + 2];
    }
    sets = table + pos;
    pos += n_sets * 2 * rmax;
    const i64 cols = 19 + 2 * rmax;
    const i64 *rows = table + pos;
    if (pos + n_windows * cols != len) die("table.bin: unexpected length");

    i64 n_exp;
    i64 *expected = read_all(dir, "expected.bin", &n_exp);
    i64 t_end = expected[0];
    const i64 ecols = 11 + 2 * rmax;
    if (1 + n_windows * ecols != n_exp) die("expected.bin: unexpected length");

    /* the layout: window i of the files lives at slot perm[i] */
    int32_t *perm = malloc((size_t)n_windows * sizeof(int32_t));
    for (i64 i = 0; i < n_windows; i++) perm[i] = (int32_t)i;
    if (shuffled) {
        uint64_t x = 88172645463325252ULL;
        for (i64 i = n_windows - 1; i > 0; i--) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            i64 j = (i64)(x % (uint64_t)(i + 1));
            int32_t tmp = perm[i]; perm[i] = perm[j]; perm[j] = tmp;
        }
    }

    /* windows mode: trace.bin, (window << 3 | op, t, a) per call to a window */
    i64 n_trace = 0, *trace = NULL;
    /* tracks mode: tracks.bin, the tracks and their windows, then (track << 4 | op, t,
     * item, flags, start or duration) per call to a track; tracks_expected.bin */
    i64 n_tracks = 0, n_widx = 0, *trows = NULL, n_texp = 0, *texp = NULL;
    i64 n_open0 = 0, *open0 = NULL; /* (track, item, segment start, current start) */
    const i64 tcols = 17;
    i64 n_sidx = 0, n_stats = 0;
    if (by_tracks) {
        i64 tlen;
        i64 *tb = read_all(dir, "tracks.bin", &tlen);
        n_tracks = tb[0];
        n_widx = tb[1];
        n_trace = tb[2];
        n_open0 = tb[3];
        n_sidx = tb[4];
        n_stats = tb[5];
        trows = tb + 6;
        widx = malloc((size_t)(n_widx + 1) * sizeof(int32_t));
        for (i64 i = 0; i < n_widx; i++) widx[i] = perm[trows[n_tracks * tcols + i]];
        i64 *stats = trows + n_tracks * tcols + n_widx;
        sidx = malloc((size_t)(n_sidx + 1) * sizeof(int32_t));
        for (i64 i = 0; i < n_sidx; i++) sidx[i] = (int32_t)stats[i];
        seen = calloc((size_t)n_stats + 1, 1);
        taken = malloc((size_t)(n_stats + 1) * sizeof(int32_t));
        open0 = stats + n_sidx;
        trace = open0 + 4 * n_open0;
        if (6 + n_tracks * tcols + n_widx + n_sidx + 4 * n_open0 + 5 * n_trace != tlen)
            die("tracks.bin: unexpected length");
        texp = read_all(dir, "tracks_expected.bin", &n_texp);
        if (n_texp != 4 * n_tracks) die("tracks_expected.bin: unexpected length");
        tracks = malloc((size_t)n_tracks * sizeof(Track));
        dirty = malloc((size_t)(n_tracks + 1) * sizeof(int32_t));
    } else {
        trace = read_all(dir, "trace.bin", &n_trace);
        n_trace /= 3;
        for (i64 r = 0; r < n_trace; r++) {
            i64 head = trace[3 * r];
            trace[3 * r] = ((i64)perm[head >> 3] << 3) | (head & 7);
        }
    }

    wins = malloc((size_t)n_windows * sizeof(Win));
    double *times = malloc((size_t)repeat * sizeof(double));
    i64 events = 0, opening_bytes = 0;
    for (int rep = 0; rep < repeat; rep++) {
        /* fresh windows, laid out as asked; their range counters in the same order */
        free(rpool); free(spool);
        rpool = NULL; spool = NULL; rpool_len = rpool_cap = spool_len = spool_cap = 0;
        for (i64 i = 0; i < n_windows; i++) {
            const i64 *row = rows + i * cols;
            Win *w = &wins[perm[i]];
            w->prof = (int32_t)row[0];
            w->leave_max = (int16_t)row[1];
            w->nranges = (int16_t)row[2];
            w->set = (int32_t)row[3];
            w->c.entries = row[4]; w->c.carry = row[5]; w->c.done = row[6]; w->c.ptime = row[7];
            w->c.ctime = row[8]; w->c.atime = row[9]; w->c.max_d = row[10]; w->c.min_d = row[11];
            w->c.max_n = row[12]; w->c.min_n = row[13];
            w->n = row[14]; w->s1 = row[15]; w->opened = row[16]; w->x1 = row[17]; w->x2 = row[18];
            w->ring = -1;
            w->ranges = -1;
        }
        for (i64 slot = 0; slot < n_windows; slot++) {
            Win *w = &wins[slot];
            if (w->nranges) w->ranges = rpool_alloc(2 * w->nranges);
        }
        for (i64 i = 0; i < n_windows; i++) {
            const i64 *row = rows + i * cols;
            Win *w = &wins[perm[i]];
            for (int j = 0; j < 2 * w->nranges; j++) rpool[w->ranges + j] = row[19 + j];
        }
        if (by_tracks) {
            for (i64 i = 0; i < n_tracks; i++) {
                const i64 *row = trows + i * tcols;
                Track *tr = &tracks[i];
                tr->local = (int8_t)row[0]; tr->reason_restart = (int8_t)row[1];
                tr->pending = (int8_t)row[2]; tr->watched = (int8_t)row[3];
                tr->w_off = (int32_t)row[4]; tr->w_len = (int32_t)row[5];
                tr->c_off = (int32_t)row[6]; tr->c_len = (int32_t)row[7];
                tr->sum_start = row[8]; tr->busy_since = row[9]; tr->busy_seg = row[10];
                tr->end_pending = row[11]; tr->last_cur = row[12]; tr->last_seg = row[13];
                tr->n_open = row[14];
                tr->s_off = (int32_t)row[15]; tr->s_len = (int32_t)row[16];
                tr->ordered_cur = tr->ordered_seg = 1;
                tr->dirty = 0;
            }
            n_dirty = 0;
            taken_total = 0;
            /* the table keeps the size it grew to in the earlier replays (a kernel keeps
             * its table): emptied and touched here, outside the timed loop */
            if (segs) {
                memset(segs, 0, (size_t)(seg_mask + 1) * sizeof(Seg));
                seg_count = 0;
            } else {
                seg_init(1 << 16);
            }
            for (i64 j = 0; j < n_open0; j++) {
                const i64 *o = open0 + 4 * j;
                seg_put(((uint64_t)o[0] << 32 | (uint64_t)o[1]) + 1, o[2], o[3]);
            }
        }
        /* what the state takes before the first event: windows, their range counters, and
         * with the tracks their table, their window indices and the open segments (a table
         * twice their number) */
        opening_bytes = n_windows * (i64)sizeof(Win) + rpool_len * 8;
        if (by_tracks)
            opening_bytes += n_tracks * (i64)sizeof(Track) + n_widx * 4 + n_sidx * 4 +
                             2 * n_open0 * (i64)sizeof(Seg);
        events = 0;
        double t0 = now_s();
        if (by_tracks) {
            for (i64 r = 0; r < n_trace; r++) {
                const i64 *rec = trace + 5 * r;
                if ((rec[0] & 15) == T_EVENT) {
                    /* the changes taken every 100 events, as bench.engine_ingest does */
                    if (++events % 100 == 0) take_changes();
                    continue;
                }
                track_op(rec);
            }
            take_changes();
        } else {
            for (i64 r = 0; r < n_trace; r++) {
                const i64 *rec = trace + 3 * r;
                Win *w = &wins[rec[0] >> 3];
                switch (rec[0] & 7) {
                    case OP_START: seg_start_(w, rec[1]); break;
                    case OP_END_DONE: seg_end(w, rec[2], rec[1], 1); break;
                    case OP_END_LEFT: seg_end(w, rec[2], rec[1], 0); break;
                    case OP_INSTANT: instant(w, rec[1], rec[2]); break;
                    default: die("trace.bin: unknown operation");
                }
            }
        }
        times[rep] = now_s() - t0;
    }
    i64 state_bytes = n_windows * (i64)sizeof(Win) + rpool_len * 8 + spool_len * (i64)sizeof(Slot);
    if (by_tracks)
        state_bytes += n_tracks * (i64)sizeof(Track) + n_widx * 4 + n_sidx * 4 +
                       (i64)(seg_mask + 1) * (i64)sizeof(Seg);
    i64 rings = 0;
    for (i64 i = 0; i < n_windows; i++) rings += wins[i].ring >= 0;

    /* every window's totals at the end of the trace against the Python windows' */
    i64 mismatched = 0, first_bad = -1;
    i64 *tr = malloc((size_t)(2 * rmax + 1) * sizeof(i64));
    i64 keep_r = rpool_len, keep_s = spool_len;
    for (i64 i = 0; i < n_windows; i++) {
        Totals tot;
        totals(&wins[perm[i]], t_end, &tot, tr);
        rpool_len = keep_r;
        spool_len = keep_s;
        const i64 *e = expected + 1 + i * ecols;
        i64 got[11] = {tot.entries, tot.carry, tot.done, tot.ptime, tot.ctime, tot.atime,
                       tot.max_d, tot.min_d, tot.max_n, tot.min_n, tot.elapsed};
        int bad = memcmp(got, e, sizeof got) != 0;
        for (i64 j = 0; j < 2 * rmax; j++) bad |= tr[j] != e[11 + j];
        if (bad) {
            if (first_bad < 0) {
                first_bad = i;
                fprintf(stderr, "window %lld: got", (long long)i);
                for (int j = 0; j < 11; j++) fprintf(stderr, " %lld", (long long)got[j]);
                fprintf(stderr, "\n   expected");
                for (int j = 0; j < 11; j++) fprintf(stderr, " %lld", (long long)e[j]);
                fprintf(stderr, "\n");
            }
            mismatched++;
        }
    }
    /* and every track's open segments (count, sum of starts) and busy period */
    i64 tracks_mismatched = 0;
    for (i64 i = 0; i < n_tracks; i++) {
        const Track *t = &tracks[i];
        const i64 *e = texp + 4 * i;
        if (t->n_open != e[0] || t->sum_start != e[1] || t->busy_since != e[2] ||
            t->end_pending != e[3]) {
            if (!tracks_mismatched)
                fprintf(stderr, "track %lld: got %lld %lld %lld %lld, expected %lld %lld %lld %lld\n",
                        (long long)i, (long long)t->n_open, (long long)t->sum_start,
                        (long long)t->busy_since, (long long)t->end_pending, (long long)e[0],
                        (long long)e[1], (long long)e[2], (long long)e[3]);
            tracks_mismatched++;
        }
    }
    qsort(times, (size_t)repeat, sizeof(double), cmp_double);
    printf("{\"mode\": \"%s\", \"layout\": \"%s\", \"windows\": %lld, \"tracks\": %lld, "
           "\"operations\": %lld, \"events\": %lld, \"best_seconds\": %.6f, "
           "\"median_seconds\": %.6f, \"window_bytes\": %lld, \"track_bytes\": %lld, "
           "\"slot_bytes\": %lld, \"opening_bytes\": %lld, \"state_bytes\": %lld, "
           "\"rings\": %lld, \"open_segments\": %lld, \"statistics_taken\": %lld, "
           "\"mismatched\": %lld, \"first_bad\": %lld, \"tracks_mismatched\": %lld}\n",
           argv[2], argv[3], (long long)n_windows, (long long)n_tracks, (long long)n_trace,
           (long long)events, times[0], times[repeat / 2], (long long)sizeof(Win),
           (long long)sizeof(Track), (long long)sizeof(Slot), (long long)opening_bytes,
           (long long)state_bytes, (long long)rings, (long long)seg_count,
           (long long)taken_total, (long long)mismatched, (long long)first_bad,
           (long long)tracks_mismatched);
    return mismatched || tracks_mismatched ? 1 : 0;
}
