/*
 * hive-init: PID 1 of every Hive sandbox, and the daemon's way to start commands in it.
 *
 *   hive-init --socket PATH --uid UID --gid GID -- COMMAND [ARG...]
 *
 * runc starts it as root with only CAP_SETUID, CAP_SETGID, CAP_SETPCAP and CAP_KILL, under the sandbox's
 * seccomp filter and no_new_privs. It runs COMMAND (the image's entrypoint) as UID:GID, reaps orphans, passes
 * termination signals on to COMMAND and exits with its status. Each connection to the socket runs one
 * command: a forked session starts it as the requested user, without any capability, and relays its
 * standard streams and exit status over the connection. The socket is in a directory only root can enter
 * (the daemon reaches it from the host), and as PID 1 hive-init answers only peers outside its PID
 * namespace, so not even an agent that is root in its image can use it. Starting a command this way costs a fork and an
 * exec instead of a `runc exec` (two Go process starts).
 *
 * This is C, not C#, for the reason libfuse's high-level API is avoided in the daemon: between fork and
 * exec only async-signal-safe work is allowed, which a .NET runtime cannot promise, and an init that
 * must fit every image (busybox, glibc, none) has to be one static binary with no runtime.
 *
 * Frames, both ways: 1 byte type, 4 bytes little-endian length, payload.
 *   daemon -> init   'R' request: NUL-terminated strings uid, gid, cwd, argc, argv..., then KEY=VALUE env
 *                    'T' terminal request: NUL-terminated rows, cols, then as 'R'
 *                    'I' standard input bytes     'E' end of standard input (ignored by a terminal: Ctrl-D is a byte)
 *                    'W' terminal window size: 2-byte little-endian rows, 2-byte cols
 *                    (closing the connection kills the command's process group; a terminal's whole session,
 *                    SIGHUP first, then SIGKILL)
 *   init -> daemon   '1' stdout bytes (a terminal's only output)   '2' stderr bytes   'X' exit: 4-byte little-endian status
 *
 * A terminal command is a session leader with a fresh pseudo-terminal as its controlling terminal, so the line
 * discipline turns Ctrl-C into SIGINT for the foreground job and a resize into SIGWINCH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/fsuid.h>
#include <termios.h>
#include <time.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_REQUEST (4 << 20)
#define MAX_STDIN_PENDING (1 << 20)
#define CHUNK 65536

extern char **environ;

static void die(const char *what) {
    fprintf(stderr, "hive-init: %s: %s\n", what, strerror(errno));
    exit(125);
}

static int exit_status(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* In a forked child, before exec: no capability survives, not even in the bounding set. */
static int become(uid_t uid, gid_t gid) {
    for (int cap = 0; cap < 64; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno == EINVAL) break;
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) return -1;
    /* Leaving uid 0 clears the capability sets already; staying uid 0 (an image whose user is root) must not keep ours. */
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct none[2] = {{0, 0, 0}, {0, 0, 0}};
    return (int)syscall(SYS_capset, &header, none);
}

/* ---------- frames ---------- */

static int write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t len) {
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n == 0) return -1;
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int send_frame(int fd, char type, const void *payload, uint32_t len) {
    unsigned char head[5] = {(unsigned char)type, len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, (len >> 24) & 0xff};
    if (write_all(fd, head, 5) != 0) return -1;
    return len == 0 ? 0 : write_all(fd, payload, len);
}

static int read_head(int fd, char *type, uint32_t *len) {
    unsigned char head[5];
    if (read_all(fd, head, 5) != 0) return -1;
    *type = (char)head[0];
    *len = head[1] | (head[2] << 8) | (head[3] << 16) | ((uint32_t)head[4] << 24);
    return 0;
}

/* ---------- one command, in a session process ---------- */

struct request {
    uid_t uid;
    gid_t gid;
    char *cwd;
    char **argv;
    char **env;
};

static int parse_number(const char *s, long max, long *out) {
    if (*s == '\0') return -1;
    long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        v = v * 10 + (*s - '0');
        if (v > max) return -1;
    }
    *out = v;
    return 0;
}

/* Splits the request's NUL-terminated strings; the payload must end with a NUL. */
static int parse_request(char *payload, uint32_t len, struct request *r) {
    if (len == 0 || payload[len - 1] != '\0') return -1;
    size_t count = 0;
    for (uint32_t i = 0; i < len; i++) if (payload[i] == '\0') count++;
    char **fields = calloc(count + 1, sizeof(char *));
    if (fields == NULL) return -1;
    char *p = payload;
    for (size_t i = 0; i < count; i++) {
        fields[i] = p;
        p += strlen(p) + 1;
    }
    long uid, gid, argc;
    if (count < 5 || parse_number(fields[0], 0x7fffffff, &uid) != 0 || parse_number(fields[1], 0x7fffffff, &gid) != 0 ||
        parse_number(fields[3], (long)count, &argc) != 0 || argc < 1 || (size_t)argc > count - 4)
        return -1;
    r->uid = (uid_t)uid;
    r->gid = (gid_t)gid;
    r->cwd = fields[2];
    size_t envc = count - 4 - (size_t)argc;
    r->argv = calloc((size_t)argc + 1, sizeof(char *));
    r->env = calloc(envc + 1, sizeof(char *));
    if (r->argv == NULL || r->env == NULL) return -1;
    for (long i = 0; i < argc; i++) r->argv[i] = fields[4 + i];
    for (size_t i = 0; i < envc; i++) {
        r->env[i] = fields[4 + argc + i];
        if (strchr(r->env[i], '=') == NULL || r->env[i][0] == '=') return -1;
    }
    return 0;
}

/* The init's own environment (the sandbox's) with the request's variables on top. */
static char **merge_env(char **overrides) {
    size_t n = 0, m = 0;
    while (environ[n]) n++;
    while (overrides[m]) m++;
    char **env = calloc(n + m + 1, sizeof(char *));
    if (env == NULL) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t key = strcspn(environ[i], "=");
        int replaced = 0;
        for (size_t j = 0; j < m && !replaced; j++)
            replaced = strncmp(overrides[j], environ[i], key + 1) == 0;
        if (!replaced) env[k++] = environ[i];
    }
    for (size_t j = 0; j < m; j++) env[k++] = overrides[j];
    return env;
}

enum stage { SETUP, CWD, EXEC };

/* Runs in the forked command: never returns. A failure before the command runs is reported on the status pipe. */
__attribute__((noreturn)) static void start_command(struct request *r, char **env, int in, int out, int err, int status_pipe) {
    int stage = SETUP;
    setsid();
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) goto fail;
    if (become(r->uid, r->gid) != 0) goto fail;
    stage = CWD;
    if (r->cwd[0] != '\0' && chdir(r->cwd) != 0) goto fail;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    environ = env; /* execvp searches the command's own PATH, as runc exec does */
    stage = EXEC;
    execvp(r->argv[0], r->argv);
fail:;
    int report[2] = {stage, errno};
    (void)!write(status_pipe, report, sizeof report);
    _exit(127);
}

/* Waits for the command's exec: a failure before it is reported as output on the connection (stream 'out'). */
static void read_failure(int conn, char out, struct request *r, int status_pipe, int failure[2]) {
    failure[0] = failure[1] = 0;
    if (read(status_pipe, failure, 2 * sizeof(int)) == (ssize_t)(2 * sizeof(int))) {
        char msg[512];
        int n = failure[0] == CWD ? snprintf(msg, sizeof msg, "hive-init: cannot enter %s: %s\r\n", r->cwd, strerror(failure[1]))
              : failure[0] == EXEC ? snprintf(msg, sizeof msg, "hive-init: cannot run %s: %s\r\n", r->argv[0], strerror(failure[1]))
              : snprintf(msg, sizeof msg, "hive-init: cannot set up the command: %s\r\n", strerror(failure[1]));
        n = n < (int)sizeof msg ? n : (int)sizeof msg - 1;
        /* A pipe gets a plain newline, a terminal the carriage return too. */
        if (out == '2') { msg[n - 2] = '\n'; n--; }
        send_frame(conn, out, msg, (uint32_t)n);
    } else {
        failure[1] = 0;
    }
    close(status_pipe);
}

/* As a shell reports them: 127 not found, 126 found but not runnable. */
static int failed_status(const int failure[2]) {
    return failure[0] == EXEC && failure[1] == ENOENT ? 127 : 126;
}

/* ---------- one command under a pseudo-terminal ---------- */

/* 'T' payload: rows, cols, then a request as 'R' has it. */
static int parse_terminal_request(char *payload, uint32_t len, struct request *r, struct winsize *size) {
    long v[2];
    char *p = payload;
    for (int i = 0; i < 2; i++) {
        char *end = memchr(p, '\0', len - (uint32_t)(p - payload));
        if (end == NULL || parse_number(p, 10000, &v[i]) != 0 || v[i] < 1) return -1;
        p = end + 1;
    }
    size->ws_row = (unsigned short)v[0];
    size->ws_col = (unsigned short)v[1];
    return parse_request(p, len - (uint32_t)(p - payload), r);
}

/*
 * A new pty pair, the terminal owned by the command's user (devpts names the opener's fsuid as owner), as login
 * would leave it. Returns the master; *slave is the terminal's descriptor, opened through the master.
 */
static int open_pty(uid_t uid, int *slave) {
    setfsuid(uid);
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    setfsuid(0);
    int unlock = 0;
    if (master < 0 || ioctl(master, TIOCSPTLCK, &unlock) != 0) return -1;
    *slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (*slave < 0) {
        unsigned int n;
        char path[64];
        if (ioctl(master, TIOCGPTN, &n) != 0) return -1;
        snprintf(path, sizeof path, "/dev/pts/%u", n);
        *slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    }
    return *slave < 0 ? -1 : master;
}

__attribute__((noreturn)) static void start_terminal_command(struct request *r, char **env, int slave, int status_pipe) {
    int stage = SETUP;
    setsid();
    if (ioctl(slave, TIOCSCTTY, 0) != 0) goto fail;
    if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0) goto fail;
    if (become(r->uid, r->gid) != 0) goto fail;
    stage = CWD;
    if (r->cwd[0] != '\0' && chdir(r->cwd) != 0) goto fail;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* An ignored SIGINT would survive exec, and Ctrl-C would stop nothing. */
    for (int sig = 1; sig < NSIG; sig++) if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    environ = env;
    stage = EXEC;
    execvp(r->argv[0], r->argv);
fail:;
    int report[2] = {stage, errno};
    (void)!write(status_pipe, report, sizeof report);
    _exit(127);
}

/* Sends sig to every live process of session sid (a job-control shell puts each job in a group of its own). Returns how many. */
static int signal_session(pid_t sid, int sig) {
    int count = 0;
    DIR *proc = opendir("/proc");
    if (proc == NULL) return kill(-sid, sig) == 0;
    struct dirent *d;
    while ((d = readdir(proc)) != NULL) {
        long pid;
        if (parse_number(d->d_name, 0x7fffffff, &pid) != 0) continue;
        char path[64], stat[512];
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, stat, sizeof stat - 1);
        close(fd);
        if (n <= 0) continue;
        stat[n] = '\0';
        char *end = strrchr(stat, ')');
        char state;
        int ppid, pgrp, session;
        if (end == NULL || sscanf(end + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4) continue;
        if (session == sid && state != 'Z' && kill((pid_t)pid, sig) == 0) count++;
    }
    closedir(proc);
    return count;
}

/* SIGCHLD blocked and read from a descriptor, so that the relay loop polls for the command's exit with its streams. */
static int child_signalfd(void) {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd < 0) _exit(1);
    return sigfd;
}

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The connection went away: the terminal hangs up, its session gets SIGHUP, and SIGKILL what is left after a grace. */
__attribute__((noreturn)) static void hang_up(int master, pid_t sid) {
    close(master);
    signal_session(sid, SIGHUP);
    signal_session(sid, SIGCONT);
    for (long long deadline = now_ms() + 500; now_ms() < deadline;) {
        waitpid(sid, NULL, WNOHANG);
        if (signal_session(sid, 0) == 0) _exit(1);
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    signal_session(sid, SIGKILL);
    _exit(1);
}

/* Whatever the command wrote before it exited may still be on its way through the line discipline. */
#define DRAIN_QUIET_MS 50
#define DRAIN_MAX_MS 1000

__attribute__((noreturn)) static void terminal_session(int conn, struct request *r, char **env, struct winsize *size) {
    int st[2], slave;
    int master = open_pty(r->uid, &slave);
    if (master < 0 || pipe2(st, O_CLOEXEC) != 0) {
        char msg[256];
        int n = snprintf(msg, sizeof msg, "hive-init: cannot open a terminal: %s\r\n", strerror(errno));
        send_frame(conn, '1', msg, (uint32_t)n);
        int code = 126;
        send_frame(conn, 'X', &code, 4);
        _exit(1);
    }
    ioctl(master, TIOCSWINSZ, size);

    int sigfd = child_signalfd();

    pid_t child = fork();
    if (child < 0) _exit(1);
    if (child == 0) start_terminal_command(r, env, slave, st[1]);
    close(slave); /* the master reads EIO once the command and everything it started let go of the terminal */
    close(st[1]);
    int failure[2];
    read_failure(conn, '1', r, st[0], failure);

    char *pending = malloc(MAX_STDIN_PENDING), *buf = malloc(CHUNK);
    if (pending == NULL || buf == NULL) _exit(1);
    size_t pending_len = 0;
    int exited = 0, master_open = 1, status = 0;
    long long drain_until = 0;
    for (;;) {
        struct pollfd fds[3];
        int nfds = 0, i_conn = nfds;
        fds[nfds++] = (struct pollfd){conn, pending_len < MAX_STDIN_PENDING - CHUNK ? POLLIN : POLLRDHUP, 0};
        int i_master = master_open ? nfds : -1;
        if (master_open) fds[nfds++] = (struct pollfd){master, (short)(POLLIN | (pending_len > 0 ? POLLOUT : 0)), 0};
        int i_sig = nfds;
        fds[nfds++] = (struct pollfd){sigfd, POLLIN, 0};
        int timeout = -1;
        if (exited) {
            long long left = drain_until - now_ms();
            if (left <= 0 || !master_open) break;
            timeout = left < DRAIN_QUIET_MS ? (int)left : DRAIN_QUIET_MS;
        }
        int ready = poll(fds, (nfds_t)nfds, timeout);
        if (ready < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (ready == 0) break; /* exited, and the terminal has been quiet */
        char type;
        uint32_t len;
        if (fds[i_conn].revents & (POLLIN | POLLHUP | POLLERR | POLLRDHUP)) {
            if (!(fds[i_conn].events & POLLIN) || read_head(conn, &type, &len) != 0 || len > MAX_STDIN_PENDING) hang_up(master, child);
            if (type == 'I') {
                if (len > MAX_STDIN_PENDING - pending_len || read_all(conn, pending + pending_len, len) != 0) hang_up(master, child);
                pending_len += len;
            } else if (type == 'W' && len == 4) {
                unsigned char w[4];
                if (read_all(conn, w, 4) != 0) hang_up(master, child);
                struct winsize ws = {.ws_row = (unsigned short)(w[0] | w[1] << 8), .ws_col = (unsigned short)(w[2] | w[3] << 8)};
                if (ws.ws_row > 0 && ws.ws_col > 0) ioctl(master, TIOCSWINSZ, &ws); /* the kernel sends SIGWINCH */
            } else if (type != 'E' || len != 0) {
                hang_up(master, child);
            }
        }
        if (i_master >= 0 && (fds[i_master].revents & POLLOUT) && pending_len > 0) {
            ssize_t n = write(master, pending, pending_len);
            if (n > 0) {
                memmove(pending, pending + n, pending_len - (size_t)n);
                pending_len -= (size_t)n;
            }
        }
        if (i_master >= 0 && (fds[i_master].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(master, buf, CHUNK);
            if (n > 0) {
                if (send_frame(conn, '1', buf, (uint32_t)n) != 0) hang_up(master, child);
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                master_open = 0; /* EIO: no process holds the terminal any more */
            }
        }
        if (fds[i_sig].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {}
            int ws;
            if (!exited && waitpid(child, &ws, WNOHANG) == child) {
                exited = 1;
                status = failure[1] != 0 ? failed_status(failure) : exit_status(ws);
                drain_until = now_ms() + DRAIN_MAX_MS;
            }
        }
    }
    send_frame(conn, 'X', &status, 4);
    /* The terminal closes with us: what the command left running on it gets the hangup, as after a logout. */
    _exit(0);
}

__attribute__((noreturn)) static void session(int conn) {
    char type;
    uint32_t len;
    if (read_head(conn, &type, &len) != 0 || (type != 'R' && type != 'T') || len > MAX_REQUEST) _exit(1);
    char *payload = malloc(len + 1);
    if (payload == NULL || read_all(conn, payload, len) != 0) _exit(1);
    struct request r;
    struct winsize size = {0};
    if (type == 'T' ? parse_terminal_request(payload, len, &r, &size) != 0 : parse_request(payload, len, &r) != 0) {
        const char msg[] = "hive-init: malformed request\n";
        send_frame(conn, '2', msg, sizeof msg - 1);
        int code = 125;
        send_frame(conn, 'X', &code, 4);
        _exit(1);
    }
    char **env = merge_env(r.env);
    if (type == 'T') terminal_session(conn, &r, env, &size);
    int in[2], out[2], err[2], st[2];
    if (env == NULL || pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(st, O_CLOEXEC)) _exit(1);

    int sigfd = child_signalfd();

    pid_t child = fork();
    if (child < 0) _exit(1);
    if (child == 0) start_command(&r, env, in[0], out[1], err[1], st[1]);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    close(st[1]);

    int failure[2];
    read_failure(conn, '2', &r, st[0], failure);

    int stdin_fd = in[1];
    fcntl(stdin_fd, F_SETFL, O_NONBLOCK);
    char *pending = malloc(MAX_STDIN_PENDING);
    size_t pending_len = 0;
    int stdin_ended = 0, out_open = 1, err_open = 1, exited = 0, status = 0;
    char *buf = malloc(CHUNK);
    if (pending == NULL || buf == NULL) _exit(1);

    while (out_open || err_open || !exited) {
        struct pollfd fds[5];
        int nfds = 0, i_conn = -1, i_out = -1, i_err = -1, i_in = -1, i_sig;
        /* Stop reading the connection while a megabyte of input waits for the command. */
        if (pending_len < MAX_STDIN_PENDING - CHUNK) { i_conn = nfds; fds[nfds++] = (struct pollfd){conn, POLLIN, 0}; }
        else { i_conn = nfds; fds[nfds++] = (struct pollfd){conn, POLLRDHUP, 0}; }
        if (out_open) { i_out = nfds; fds[nfds++] = (struct pollfd){out[0], POLLIN, 0}; }
        if (err_open) { i_err = nfds; fds[nfds++] = (struct pollfd){err[0], POLLIN, 0}; }
        if (stdin_fd >= 0 && pending_len > 0) { i_in = nfds; fds[nfds++] = (struct pollfd){stdin_fd, POLLOUT, 0}; }
        i_sig = nfds;
        fds[nfds++] = (struct pollfd){sigfd, POLLIN, 0};
        if (poll(fds, (nfds_t)nfds, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[i_conn].revents & (POLLIN | POLLHUP | POLLERR | POLLRDHUP)) {
            if (!(fds[i_conn].events & POLLIN) || read_head(conn, &type, &len) != 0 || len > MAX_STDIN_PENDING) break;
            if (type == 'I') {
                if (len > MAX_STDIN_PENDING - pending_len || read_all(conn, pending + pending_len, len) != 0) break;
                if (stdin_fd >= 0) pending_len += len;
            } else if (type == 'E') {
                stdin_ended = 1;
            } else {
                break;
            }
        }
        if (i_in >= 0 && (fds[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write(stdin_fd, pending, pending_len);
            if (n > 0) {
                memmove(pending, pending + n, pending_len - (size_t)n);
                pending_len -= (size_t)n;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                /* The command closed its input: drop the rest, as a pipe would. */
                close(stdin_fd);
                stdin_fd = -1;
                pending_len = 0;
            }
        }
        if (stdin_fd >= 0 && stdin_ended && pending_len == 0) {
            close(stdin_fd);
            stdin_fd = -1;
        }
        int *open_flags[2] = {&out_open, &err_open};
        int idx[2] = {i_out, i_err}, pipes[2] = {out[0], err[0]};
        for (int s = 0; s < 2; s++) {
            if (idx[s] < 0 || !(fds[idx[s]].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(pipes[s], buf, CHUNK);
            if (n > 0) {
                if (send_frame(conn, s == 0 ? '1' : '2', buf, (uint32_t)n) != 0) goto abandon;
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                *open_flags[s] = 0;
                close(pipes[s]);
            }
        }
        if (fds[i_sig].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {}
            int ws;
            if (!exited && waitpid(child, &ws, WNOHANG) == child) {
                exited = 1;
                status = exit_status(ws);
                if (failure[1] != 0) status = failed_status(failure);
            }
        }
    }
    if (out_open || err_open || !exited) goto abandon;
    send_frame(conn, 'X', &status, 4);
    _exit(0);
abandon:
    /* The daemon hung up (timeout, cancelled request, restart): the command goes with it. */
    kill(-child, SIGKILL);
    kill(child, SIGKILL);
    _exit(1);
}

/* ---------- PID 1 ---------- */

static int listen_on(const char *path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        errno = ENAMETOOLONG;
        die("socket path");
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    unlink(path);
    mode_t old = umask(0077);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("bind");
    umask(old);
    if (listen(fd, 128) != 0) die("listen");
    return fd;
}

/*
 * As PID 1 of the sandbox, only the daemon, outside its PID namespace, may start commands: the kernel reports a
 * peer it cannot name in our namespace as PID 0. The socket's directory already keeps the agent out unless the
 * image's user is root; this keeps a root agent out too. Run on the host (tests), there is nothing to tell apart.
 */
static int from_outside(int conn) {
    if (getpid() != 1) return 1;
    struct ucred peer;
    socklen_t len = sizeof peer;
    return getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &peer, &len) == 0 && peer.pid == 0;
}

static void usage(void) {
    fprintf(stderr, "usage: hive-init --socket PATH --uid UID --gid GID -- COMMAND [ARG...]\n");
    exit(125);
}

int main(int argc, char **argv) {
    const char *socket_path = NULL;
    long uid = -1, gid = -1;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) { i++; break; }
        if (i + 1 >= argc) usage();
        if (strcmp(argv[i], "--socket") == 0) socket_path = argv[++i];
        else if (strcmp(argv[i], "--uid") == 0) { if (parse_number(argv[++i], 0x7fffffff, &uid) != 0) usage(); }
        else if (strcmp(argv[i], "--gid") == 0) { if (parse_number(argv[++i], 0x7fffffff, &gid) != 0) usage(); }
        else usage();
    }
    if (socket_path == NULL || uid < 0 || gid < 0 || i >= argc) usage();
    char **command = argv + i;

    /*
     * Termination signals are blocked and read from a signalfd, so the kernel's protection of a namespace's init
     * (signals it has no handler for are dropped when sent from inside) does not apply: as PID 1, only those from
     * outside (runc kill: the sender has no PID in our namespace, 0) are passed on to the command.
     */
    sigset_t handled, previous;
    sigemptyset(&handled);
    int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    for (size_t s = 0; s < sizeof forwarded / sizeof forwarded[0]; s++) sigaddset(&handled, forwarded[s]);
    sigaddset(&handled, SIGCHLD);
    sigprocmask(SIG_BLOCK, &handled, &previous);
    signal(SIGPIPE, SIG_IGN);
    int sigfd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd < 0) die("signalfd");
    int listener = listen_on(socket_path);

    pid_t main_pid = fork();
    if (main_pid < 0) die("fork");
    if (main_pid == 0) {
        setsid();
        sigprocmask(SIG_SETMASK, &previous, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (become((uid_t)uid, (gid_t)gid) != 0) die("set user");
        execvp(command[0], command);
        fprintf(stderr, "hive-init: cannot run %s: %s\n", command[0], strerror(errno));
        _exit(127);
    }

    for (;;) {
        struct pollfd fds[2] = {{listener, POLLIN, 0}, {sigfd, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        if (fds[0].revents & POLLIN) {
            int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
            if (conn >= 0 && !from_outside(conn)) {
                close(conn);
                conn = -1;
            }
            if (conn >= 0) {
                pid_t s = fork();
                if (s == 0) {
                    close(listener);
                    close(sigfd);
                    session(conn);
                }
                close(conn);
            }
        }
        if (fds[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si)
                if (si.ssi_signo != SIGCHLD && (getpid() != 1 || si.ssi_pid == 0)) kill(main_pid, (int)si.ssi_signo);
            int ws;
            pid_t p;
            while ((p = waitpid(-1, &ws, WNOHANG)) > 0)
                if (p == main_pid) return exit_status(ws);
        }
    }
}
