/*
 * An agent's attempt to make the sandbox's hive-init run a command for it: connect to the control socket
 * and send a well-formed request for `id`. Prints what happened; exit 0 only if init answered with an exit frame.
 *   drive-init SOCKET
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) return 64;
    signal(SIGPIPE, SIG_IGN); /* a refusal may close the connection before our request is written */
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("connect");
        return 2;
    }
    static const char fields[] = "0\0" "0\0" "/\0" "1\0" "id";
    unsigned char frame[5 + sizeof fields] = {'R', sizeof fields, 0, 0, 0};
    memcpy(frame + 5, fields, sizeof fields);
    (void)!write(fd, frame, sizeof frame);
    unsigned char end[5] = {'E', 0, 0, 0, 0};
    (void)!write(fd, end, sizeof end);
    char reply[4096];
    ssize_t total = 0, n;
    while ((n = read(fd, reply + total, sizeof reply - (size_t)total)) > 0) total += n;
    for (ssize_t i = 0; i + 4 < total; i++)
        if (reply[i] == 'X' && reply[i + 1] == 4) {
            printf("init ran the command: %.*s\n", (int)total, reply);
            return 0;
        }
    printf("refused: %zd bytes back\n", total);
    return 1;
}
