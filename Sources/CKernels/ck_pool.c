// Thread pool: the caller is thread 0. Workers spin on a generation counter for a while after
// each job (so back-to-back jobs cost microseconds), then sleep on a futex.
#define _GNU_SOURCE
#include "ck_internal.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>
#include <sys/syscall.h>
#include <linux/futex.h>

#define CK_SPIN_NS 200000   // how long an idle worker spins before sleeping

struct ck_pool {
    int n_threads;
    pthread_t *threads;
    _Alignas(64) _Atomic uint32_t generation;   // bumped once per job; futex word
    _Alignas(64) _Atomic int n_done;            // workers finished with the current job
    _Alignas(64) _Atomic int n_sleeping;
    // Who takes part in the current job: generation << 32 | CLOSED | number of workers that joined.
    // A worker joins with a CAS that checks the generation, so it can never join a job twice or a
    // job other than the one it saw; a dynamic job is closed by thread 0 when its own share is done.
    _Alignas(64) _Atomic uint64_t join;
    _Atomic int stop;
    int dynamic;
    ck_task_fn fn;
    void *ctx;
};

#define JOIN_CLOSED (1ull << 31)

typedef struct { ck_pool *pool; int ith; } worker_arg;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static inline uint64_t now_ns(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void futex_wait(_Atomic uint32_t *addr, uint32_t expected) {
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake_all(_Atomic uint32_t *addr) {
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static void *worker_main(void *p) {
    worker_arg a = *(worker_arg *)p;
    free(p);
    ck_pool *pool = a.pool;
    uint32_t seen = 0;   // the generation at creation: a job posted before this thread ran is still seen
    for (;;) {
        // Wait for the next generation: spin first, then sleep.
        uint32_t g = atomic_load_explicit(&pool->generation, memory_order_acquire);
        if (g == seen) {
            uint64_t start = now_ns();
            int spins = 0;
            while ((g = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen) {
                cpu_relax();
                if (++spins == 256) {
                    spins = 0;
                    if (now_ns() - start > CK_SPIN_NS) {
                        atomic_fetch_add(&pool->n_sleeping, 1);
                        if (atomic_load(&pool->generation) == seen) futex_wait(&pool->generation, seen);
                        atomic_fetch_sub(&pool->n_sleeping, 1);
                        start = now_ns();
                    }
                }
            }
        }
        seen = g;
        if (atomic_load_explicit(&pool->stop, memory_order_acquire)) break;
        uint64_t v = atomic_load(&pool->join);
        int joined = 0;
        while ((uint32_t)(v >> 32) == g && !(v & JOIN_CLOSED)) {
            if (atomic_compare_exchange_weak(&pool->join, &v, v + 1)) { joined = 1; break; }
        }
        if (!joined) continue;   // a dynamic job that finished without us
        pool->fn(pool->ctx, a.ith, pool->n_threads);
        atomic_fetch_add_explicit(&pool->n_done, 1, memory_order_release);
    }
    return NULL;
}

ck_pool *ck_pool_create(int n_threads) {
    if (n_threads < 1) n_threads = 1;
    ck_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->n_threads = n_threads;
    pool->threads = calloc((size_t)n_threads, sizeof(pthread_t));
    for (int i = 1; i < n_threads; i++) {
        worker_arg *a = malloc(sizeof *a);
        a->pool = pool; a->ith = i;
        if (pthread_create(&pool->threads[i], NULL, worker_main, a) != 0) {
            free(a);
            pool->n_threads = i;   // run with the workers that did start
            break;
        }
    }
    return pool;
}

int ck_pool_size(const ck_pool *pool) { return pool ? pool->n_threads : 1; }

static void wake_workers(ck_pool *pool) {
    if (atomic_load(&pool->n_sleeping) > 0) futex_wake_all(&pool->generation);
}

static void run_job(ck_pool *pool, ck_task_fn fn, void *ctx, int dynamic) {
    if (!pool || pool->n_threads == 1) { fn(ctx, 0, 1); return; }
    const uint32_t g = atomic_load(&pool->generation) + 1;
    atomic_store(&pool->join, (uint64_t)g << 32);   // before the fields: see the join comment
    pool->fn = fn;
    pool->ctx = ctx;
    pool->dynamic = dynamic;
    atomic_store_explicit(&pool->n_done, 0, memory_order_relaxed);
    atomic_fetch_add(&pool->generation, 1);   // seq_cst: pairs with the sleeper's n_sleeping/generation check
    wake_workers(pool);
    fn(ctx, 0, pool->n_threads);
    int want = pool->n_threads - 1;
    if (dynamic) want = (int)(atomic_fetch_or(&pool->join, JOIN_CLOSED) & 0xffff);
    // Wait for the workers. If one has not finished after a short spin it was probably descheduled
    // (more runnable threads than cores): yield so it can run instead of burning our time slice.
    int spins = 0;
    while (atomic_load_explicit(&pool->n_done, memory_order_acquire) != want) {
        if (++spins < 4096) cpu_relax();
        else sched_yield();
    }
}

void ck_pool_run(ck_pool *pool, ck_task_fn fn, void *ctx) { run_job(pool, fn, ctx, 0); }

void ck_pool_run_dynamic(ck_pool *pool, ck_task_fn fn, void *ctx) { run_job(pool, fn, ctx, 1); }

void ck_pool_destroy(ck_pool *pool) {
    if (!pool) return;
    atomic_store(&pool->stop, 1);
    atomic_fetch_add(&pool->generation, 1);
    futex_wake_all(&pool->generation);
    for (int i = 1; i < pool->n_threads; i++) pthread_join(pool->threads[i], NULL);
    free(pool->threads);
    free(pool);
}

// ---- parallel for -----------------------------------------------------------------------------

typedef struct {
    void (*fn)(void *ctx, int64_t i);
    void *ctx;
    int64_t n;
    _Alignas(64) _Atomic int64_t next;
} for_ctx;

static void for_task(void *p, int ith, int nth) {
    (void)ith; (void)nth;
    for_ctx *c = p;
    for (int64_t i = atomic_fetch_add(&c->next, 1); i < c->n; i = atomic_fetch_add(&c->next, 1)) c->fn(c->ctx, i);
}

void ck_pool_for(ck_pool *pool, int64_t n, void (*fn)(void *ctx, int64_t i), void *ctx) {
    if (n <= 0) return;
    for_ctx c = {.fn = fn, .ctx = ctx, .n = n};
    atomic_init(&c.next, 0);
    if (n == 1 || pool->n_threads == 1) { for_task(&c, 0, 1); return; }
    ck_pool_run_dynamic(pool, for_task, &c);
}
