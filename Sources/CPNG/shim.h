#ifndef CPNG_SHIM_H
#define CPNG_SHIM_H
// libpng 1.6 (Debian libpng-dev, pkg-config libpng). Only the simplified API (png_image_*) is used: it reports
// errors in png_image.message instead of longjmp, which Swift cannot cross.
#include <png.h>
#endif
