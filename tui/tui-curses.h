/* ncursesw with its wide-character interface, the same way everywhere. */
#ifndef UFO_TUI_CURSES_H
#define UFO_TUI_CURSES_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>

#endif
