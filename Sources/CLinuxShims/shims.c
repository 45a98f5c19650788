#include "CLinuxShims.h"
#include <errno.h>
#include <signal.h>
#include <string.h>

unsigned long CLinuxShims_EVIOCGRAB(void) { return EVIOCGRAB; }
unsigned long CLinuxShims_EVIOCGNAME(unsigned int len) { return EVIOCGNAME(len); }
unsigned long CLinuxShims_EVIOCGLED(unsigned int len) { return EVIOCGLED(len); }
unsigned long CLinuxShims_EVIOCGKEY(unsigned int len) { return EVIOCGKEY(len); }
unsigned long CLinuxShims_EVIOCGID(void) { return EVIOCGID; }
unsigned long CLinuxShims_HIDIOCGRDESCSIZE(void) { return HIDIOCGRDESCSIZE; }
unsigned long CLinuxShims_HIDIOCGRDESC(void) { return HIDIOCGRDESC; }
unsigned long CLinuxShims_HIDIOCSFEATURE(unsigned int len) { return HIDIOCSFEATURE(len); }

int CLinuxShims_ioctl_ptr(int fd, unsigned long request, void *arg) { return ioctl(fd, request, arg); }
int CLinuxShims_ioctl_int(int fd, unsigned long request, int arg) { return ioctl(fd, request, arg); }

// Console restore on crash signals: state the handler reads is plain sig_atomic_t and a static array.
#define CLINUXSHIMS_SIGNAL_LIMIT 65
static volatile sig_atomic_t console_restore_fd = -1;
static volatile sig_atomic_t console_restore_runs = 0;
static volatile sig_atomic_t console_restore_armed[CLINUXSHIMS_SIGNAL_LIMIT];
static struct sigaction console_restore_previous[CLINUXSHIMS_SIGNAL_LIMIT];

static void console_restore_handler(int signal_number) {
    int saved_errno = errno;
    int fd = console_restore_fd;
    if (fd >= 0) (void)ioctl(fd, KDSETMODE, KD_TEXT);
    console_restore_runs++;
    if (signal_number > 0 && signal_number < CLINUXSHIMS_SIGNAL_LIMIT && console_restore_armed[signal_number]) {
        console_restore_armed[signal_number] = 0;
        (void)sigaction(signal_number, &console_restore_previous[signal_number], NULL);
    } else {
        (void)signal(signal_number, SIG_DFL);
    }
    // Blocked while this handler runs: delivered to the previous action as soon as it returns.
    (void)raise(signal_number);
    errno = saved_errno;
}

int CLinuxShims_console_restore_arm(int fd, const int *signals, int count) {
    console_restore_fd = fd;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = console_restore_handler;
    action.sa_flags = SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < count; i++) {
        int s = signals[i];
        if (s <= 0 || s >= CLINUXSHIMS_SIGNAL_LIMIT) { errno = EINVAL; return -1; }
        if (console_restore_armed[s]) continue;
        if (sigaction(s, &action, &console_restore_previous[s]) != 0) return -1;
        console_restore_armed[s] = 1;
    }
    return 0;
}

void CLinuxShims_console_restore_disarm(void) {
    console_restore_fd = -1;
    for (int s = 1; s < CLINUXSHIMS_SIGNAL_LIMIT; s++) {
        if (!console_restore_armed[s]) continue;
        console_restore_armed[s] = 0;
        (void)sigaction(s, &console_restore_previous[s], NULL);
    }
}

long CLinuxShims_console_restore_count(void) { return console_restore_runs; }
