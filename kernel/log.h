#ifndef KERNEL_LOG_H
#define KERNEL_LOG_H

struct history;

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };
extern int log_level;

/* One line, "[   0.012345] text", timestamped from the boot entry. */
void klog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Unprefixed output (continuation lines of a report); not in the history. */
void log_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "error", "warning", "info", "debug"; parse also takes err and warn:
 * the level, or -1. */
const char *log_level_name(int level);
int log_level_parse(const char *s);
/* Every line logged since boot that passed log_level (the last 64 KiB). */
extern struct history log_history;

#define log_err(...)   klog(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  klog(LOG_WARN, __VA_ARGS__)
#define log_info(...)  klog(LOG_INFO, __VA_ARGS__)
#define log_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

#endif
