#include "CLinuxShims.h"

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
