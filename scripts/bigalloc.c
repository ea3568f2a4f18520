/*
 * An LD_PRELOAD tracer of glibc malloc's big live blocks, with the call stacks that allocated them:
 * what in a process's native memory grows (decision 61 found LevelDB's index blocks with it).
 *
 *   gcc -O2 -shared -fPIC -o /tmp/bigalloc.so scripts/bigalloc.c -ldl -lpthread
 *   mkdir -p /tmp/m && BENCH_SMAPS_DIR=/tmp/m BIGALLOC_WATCH=/tmp/m LD_PRELOAD=/tmp/bigalloc.so \
 *     npm run bench -- webhooks
 *   python3 scripts/bigalloc-summary.py /tmp/m/bigalloc-<pid>-1.txt /tmp/m/bigalloc-<pid>-3.txt
 *
 * Only the process whose command line contains $BIGALLOC_MATCH (default "webhooks-runtime")
 * records blocks of $BIGALLOC_MIN bytes or more (default 65536). Each time a file smaps-N.txt
 * appears in $BIGALLOC_WATCH (the bench writes one at each memory reading), the live blocks and
 * the process's maps go to bigalloc-<pid>-N.txt there: "B <size> <return addresses...>" lines,
 * "M <maps line>" lines. Compare the bench's readings 1 and 3 (at 5,000 and 20,000 deliveries,
 * sandboxes alive): the 4th, the last, can meet the runtime's close. A development tool; nothing
 * in the runtime loads it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DEPTH 24
#define SLOTS (1 << 16)
#define EMPTY ((void *)0)
#define GONE ((void *)1)

typedef struct {
  void *p;
  size_t n;
  int depth;
  void *bt[DEPTH];
} Block;

static Block *table;
static size_t min_size = 65536;
static int enabled;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int inside; /* the tracer's own allocations (backtrace, stdio) are not traced */
static void *(*real_malloc)(size_t), *(*real_calloc)(size_t, size_t), *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t), *(*real_memalign)(size_t, size_t);
/* dlsym itself allocates (calloc) before the real functions are known */
static char boot[65536];
static size_t boot_used;

static void resolve(void) {
  if (real_malloc) return;
  real_calloc = dlsym(RTLD_NEXT, "calloc");
  real_realloc = dlsym(RTLD_NEXT, "realloc");
  real_free = dlsym(RTLD_NEXT, "free");
  real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
  real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
  real_memalign = dlsym(RTLD_NEXT, "memalign");
  real_malloc = dlsym(RTLD_NEXT, "malloc");
}
static void *boot_alloc(size_t n) {
  void *p = boot + boot_used;
  boot_used += (n + 15) & ~(size_t)15;
  if (boot_used > sizeof boot) abort();
  return p;
}
static int from_boot(void *p) { return (char *)p >= boot && (char *)p < boot + sizeof boot; }
static size_t slot(void *p) { return (size_t)(((uintptr_t)p >> 4) * 2654435761u % SLOTS); }

static void record(void *p, size_t n) {
  if (!enabled || !p || n < min_size || inside) return;
  inside = 1;
  void *bt[DEPTH];
  int depth = backtrace(bt, DEPTH);
  pthread_mutex_lock(&lock);
  for (size_t i = slot(p), k = 0; k < SLOTS; i = (i + 1) % SLOTS, k++) {
    if (table[i].p == EMPTY || table[i].p == GONE) {
      table[i].p = p;
      table[i].n = n;
      table[i].depth = depth;
      memcpy(table[i].bt, bt, sizeof(void *) * depth);
      break;
    }
  }
  pthread_mutex_unlock(&lock);
  inside = 0;
}
static void forget(void *p) {
  if (!enabled || !p || malloc_usable_size(p) < min_size) return;
  pthread_mutex_lock(&lock);
  for (size_t i = slot(p), k = 0; k < SLOTS && table[i].p != EMPTY; i = (i + 1) % SLOTS, k++) {
    if (table[i].p == p) {
      table[i].p = GONE;
      break;
    }
  }
  pthread_mutex_unlock(&lock);
}

void *malloc(size_t n) {
  resolve();
  if (!real_malloc) return boot_alloc(n);
  void *p = real_malloc(n);
  record(p, n);
  return p;
}
void *calloc(size_t count, size_t size) {
  if (!real_calloc) {
    void *p = boot_alloc(count * size);
    memset(p, 0, count * size);
    return p;
  }
  void *p = real_calloc(count, size);
  record(p, count * size);
  return p;
}
void *realloc(void *old, size_t n) {
  resolve();
  if (from_boot(old)) {
    /* the old block's size is not kept: copy what it can hold at most, within the boot buffer */
    size_t room = (size_t)(boot + sizeof boot - (char *)old);
    void *p = malloc(n);
    if (p) memcpy(p, old, n < room ? n : room);
    return p;
  }
  forget(old);
  void *p = real_realloc(old, n);
  record(p, n);
  return p;
}
void free(void *p) {
  if (!p || from_boot(p)) return;
  resolve();
  forget(p);
  real_free(p);
}
int posix_memalign(void **out, size_t alignment, size_t n) {
  resolve();
  int e = real_posix_memalign(out, alignment, n);
  if (!e) record(*out, n);
  return e;
}
void *aligned_alloc(size_t alignment, size_t n) {
  resolve();
  void *p = real_aligned_alloc(alignment, n);
  record(p, n);
  return p;
}
void *memalign(size_t alignment, size_t n) {
  resolve();
  void *p = real_memalign(alignment, n);
  record(p, n);
  return p;
}

static void dump(const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) return;
  pthread_mutex_lock(&lock);
  size_t total = 0, count = 0;
  for (size_t i = 0; i < SLOTS; i++) {
    if (table[i].p == EMPTY || table[i].p == GONE) continue;
    total += table[i].n;
    count++;
    fprintf(f, "B %zu", table[i].n);
    for (int j = 1; j < table[i].depth; j++) fprintf(f, " %p", table[i].bt[j]);
    fputc('\n', f);
  }
  pthread_mutex_unlock(&lock);
  fprintf(f, "T %zu %zu\n", total, count);
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[4096];
  while (maps && fgets(line, sizeof line, maps)) fprintf(f, "M %s", line);
  if (maps) fclose(maps);
  fclose(f);
}
static void *watch(void *dir) {
  inside = 1;
  for (int n = 1;;) {
    char smaps[4096], out[4096];
    snprintf(smaps, sizeof smaps, "%s/smaps-%d.txt", (char *)dir, n);
    if (access(smaps, F_OK) == 0) {
      snprintf(out, sizeof out, "%s/bigalloc-%d-%d.txt", (char *)dir, getpid(), n);
      dump(out);
      n++;
    }
    usleep(20000);
  }
  return NULL;
}
__attribute__((constructor)) static void start(void) {
  resolve();
  const char *dir = getenv("BIGALLOC_WATCH");
  const char *match = getenv("BIGALLOC_MATCH");
  const char *min = getenv("BIGALLOC_MIN");
  if (!dir) return;
  if (min) min_size = strtoull(min, NULL, 10);
  char cmdline[4096] = {0};
  FILE *c = fopen("/proc/self/cmdline", "r");
  if (c) {
    size_t n = fread(cmdline, 1, sizeof cmdline - 1, c);
    fclose(c);
    for (size_t i = 0; i < n; i++) if (!cmdline[i]) cmdline[i] = ' ';
  }
  if (!strstr(cmdline, match ? match : "webhooks-runtime")) return;
  table = mmap(NULL, sizeof(Block) * SLOTS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (table == MAP_FAILED) return;
  enabled = 1;
  pthread_t t;
  pthread_create(&t, NULL, watch, (void *)dir);
  pthread_detach(t);
}
