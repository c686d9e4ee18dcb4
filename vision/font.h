/* font.h: drift's built-in bitmap font for text in pictures.
 *
 * Printable ASCII (32..126) in a 5x9 cell: 7 rows from the cap line to the
 * baseline, then 2 rows for descenders (g, j, p, q, y, comma). Letters are
 * 6 pixels apart; other bytes are drawn as '?'. */
#ifndef DRIFT_VISION_FONT_H
#define DRIFT_VISION_FONT_H

#define DRIFT_FONT_WIDTH 5
#define DRIFT_FONT_HEIGHT 9
#define DRIFT_FONT_ADVANCE 6

/* The DRIFT_FONT_HEIGHT rows of character ch, top row first; in each row
 * bit 4 is the leftmost pixel and bit 0 the rightmost. */
const unsigned char *drift_font_glyph(int ch);

#endif
