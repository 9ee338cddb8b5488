#ifndef KERNEL_LOG_H
#define KERNEL_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };
extern int log_level;

/* One line, "[   0.012345] text", timestamped from the boot entry. */
void klog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Unprefixed output (continuation lines of a report). */
void log_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_err(...)   klog(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  klog(LOG_WARN, __VA_ARGS__)
#define log_info(...)  klog(LOG_INFO, __VA_ARGS__)
#define log_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

#endif
