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
#endif
