#ifndef CLINUXSHIMS_H
#define CLINUXSHIMS_H
// What Swift cannot import from the kernel headers: function-like ioctl macros become prefixed functions
// (the CNIOLinux pattern). Structs (input_event, fb_var_screeninfo, hidraw_report_descriptor) come from the headers.
#include <linux/input.h>
#include <linux/hidraw.h>
#include <linux/fb.h>
#include <linux/kd.h>
#include <linux/vt.h>
#include <sys/ioctl.h>
#include <termios.h>

/// EVIOCGRAB: grab/release an evdev device (linux/input.h).
unsigned long CLinuxShims_EVIOCGRAB(void);
/// EVIOCGNAME(len): device name.
unsigned long CLinuxShims_EVIOCGNAME(unsigned int len);
/// EVIOCGLED(len): LED state bitmap (CapsLock = LED_CAPSL, NumLock = LED_NUML).
unsigned long CLinuxShims_EVIOCGLED(unsigned int len);
/// EVIOCGKEY(len): key state bitmap (keys held now).
unsigned long CLinuxShims_EVIOCGKEY(unsigned int len);
/// EVIOCGID: struct input_id.
unsigned long CLinuxShims_EVIOCGID(void);
/// HIDIOCGRDESCSIZE / HIDIOCGRDESC: hidraw report descriptor.
unsigned long CLinuxShims_HIDIOCGRDESCSIZE(void);
unsigned long CLinuxShims_HIDIOCGRDESC(void);
/// HIDIOCSFEATURE(len): send a feature report.
unsigned long CLinuxShims_HIDIOCSFEATURE(unsigned int len);

int CLinuxShims_ioctl_ptr(int fd, unsigned long request, void *arg);
int CLinuxShims_ioctl_int(int fd, unsigned long request, int arg);

/// Console text mode restored from a signal handler (linux/kd.h KDSETMODE KD_TEXT).
///
/// `CLinuxShims_console_restore_arm(fd, signals, count)` saves `fd` (a VT the caller switched to KD_GRAPHICS and
/// keeps open) and installs, for each signal not yet armed, a handler that only does async-signal-safe work:
/// `ioctl(fd, KDSETMODE, KD_TEXT)`, puts back the action that was there before, and raises the signal again, so the
/// previous handler (the Swift backtracer, a default core dump) still runs. Each handler fires once.
/// Returns 0, or -1 with errno from sigaction(2).
int CLinuxShims_console_restore_arm(int fd, const int *signals, int count);
/// Forgets the descriptor and puts back every action the arm call replaced (after a normal restore).
void CLinuxShims_console_restore_disarm(void);
/// How many times the handler has run in this process (tests).
long CLinuxShims_console_restore_count(void);
#endif
