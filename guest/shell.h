/* test=shell: a prompt (`lgtest$ `) on the virtio console. Commands are
 * tables of struct shell_cmd; shell.c holds the base table and looks at
 * the extension tables below, each defined (or not: they are weak) by
 * the file that adds the commands. To add a table: declare it here, and
 * list it in shell.c's `tables`. */
#ifndef GUEST_SHELL_H
#define GUEST_SHELL_H

#define SHELL_MAX_ARGS 16

struct shell_cmd {
    const char *name;
    const char *args;           /* for help: "SECTOR TEXT", or "" */
    const char *help;
    /* argv[0] is the command; line is everything after the command word
     * (leading spaces skipped), for commands that take free text. */
    void (*run)(int argc, char **argv, const char *line);
};

/* Extension tables, ended by an entry with name 0. */
extern const struct shell_cmd shell_net_cmds[] __attribute__((weak));

void shell_run(void) __attribute__((noreturn));

#endif
