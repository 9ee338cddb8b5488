/* The system hooks newlib (built with --disable-newlib-supplied-syscalls)
 * calls by their plain names. Output goes to the console; malloc gets a
 * fixed window in BSS; there are no files. */
#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>
#include "guest/console.h"
#include "guest/test.h"

#undef errno
extern int errno;

#define HEAP_SIZE (256 * 1024)
static char heap[HEAP_SIZE] __attribute__((aligned(16)));
static size_t heap_top;

int write(int fd, const void *buf, size_t n)
{
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    console_write(buf, n);
    return (int)n;
}

void *sbrk(ptrdiff_t incr)
{
    if ((incr < 0 && (size_t)-incr > heap_top) || (incr > 0 && (size_t)incr > HEAP_SIZE - heap_top)) {
        errno = ENOMEM;
        return (void *)-1;
    }
    void *old = heap + heap_top;
    heap_top += incr;
    return old;
}

int read(int fd, void *buf, size_t n) { (void)fd; (void)buf; (void)n; errno = EBADF; return -1; }
int close(int fd) { (void)fd; errno = EBADF; return -1; }
int lseek(int fd, int off, int whence) { (void)fd; (void)off; (void)whence; return 0; }
int isatty(int fd) { return fd <= 2; }
int fstat(int fd, struct stat *st) { (void)fd; st->st_mode = S_IFCHR; return 0; }
int getpid(void) { return 1; }
int kill(int pid, int sig) { (void)pid; (void)sig; errno = EINVAL; return -1; }
void _exit(int status) { panic("exit(%d) called", status); }
