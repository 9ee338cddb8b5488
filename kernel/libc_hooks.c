/* newlib's system hooks. stdout and stderr are the console, as the
 * monitor's replies (console_reply); the heap is a run of frames given at
 * boot (heap_init); until then malloc fails; there are no files. Built with
 * --disable-newlib-supplied-syscalls, newlib calls these by their plain
 * names (write, sbrk, ...), not _write. */
#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>
#include "kernel/console.h"
#include "kernel/heap.h"
#include "kernel/panic.h"

#undef errno
extern int errno;

int write(int fd, const void *buf, size_t n)
{
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    console_reply(buf, n);
    return (int)n;
}

int read(int fd, void *buf, size_t n)
{
    (void)fd; (void)buf; (void)n;
    errno = EBADF;
    return -1;
}

static char *heap_start, *heap_top, *heap_end;

void heap_init(void *start, size_t size)
{
    heap_start = heap_top = start;
    heap_end = heap_start + size;
}

void *sbrk(ptrdiff_t incr)
{
    if (incr < 0 ? heap_top + incr < heap_start : heap_top + incr > heap_end) {
        errno = ENOMEM;
        return (void *)-1;
    }
    char *old = heap_top;
    heap_top += incr;
    return old;
}

size_t heap_used(void) { return (size_t)(heap_top - heap_start); }

int close(int fd) { (void)fd; errno = EBADF; return -1; }
int lseek(int fd, int off, int whence) { (void)fd; (void)off; (void)whence; return 0; }
int isatty(int fd) { return fd <= 2; }
int fstat(int fd, struct stat *st) { (void)fd; st->st_mode = S_IFCHR; return 0; }
int getpid(void) { return 1; }
int kill(int pid, int sig) { (void)pid; (void)sig; errno = EINVAL; return -1; }
void _exit(int status) { panic("exit(%d) called", status); }
