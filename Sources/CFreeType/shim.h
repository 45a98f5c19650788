#ifndef CFREETYPE_SHIM_H
#define CFREETYPE_SHIM_H
// FreeType 2 (Debian libfreetype-dev, pkg-config freetype2): the core API, outlines (FT_Outline_Embolden) and
// glyph-slot synthesis.
#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H
#include FT_SYNTHESIS_H
#include FT_ADVANCES_H
#endif
