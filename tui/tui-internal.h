/*
 * What tui.c shares with tui-prompt.c only: the loop's state and one turn
 * of it, so a question on the status line keeps the feed applied and the
 * screen drawn while it waits. Views use tui.h.
 */
#ifndef UFO_TUI_INTERNAL_H
#define UFO_TUI_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "net.h"
#include "tui-curses.h"

struct conf;

enum tui_alert {
	TUI_ALERT_BELL,
	TUI_ALERT_FLASH,
	TUI_ALERT_NONE
};

/* A key as wget_wch gave it: fn for KEY_* codes, else a character. */
struct tui_key {
	int	 code;
	int	 fn;
};

struct tui {
	struct client		*client;
	const struct conf	*conf;
	struct model		*model;
	struct net		*net;
	struct net_stream	*feed;
	enum net_state		 state;
	char			*state_reason;

	struct view		**views;
	size_t			 nviews;
	size_t			 sviews;

	WINDOW			*main;		/* the views' */
	WINDOW			*status;	/* the last line */
	char			*message;
	int			 message_error;
	int			 status_dirty;
	int			 all_dirty;
	int			 quit;
	enum tui_alert		 alert;

	/* A question on the status line draws it instead (tui-prompt.c). */
	void			(*prompt_draw)(struct tui *, WINDOW *, void *);
	void			*prompt_arg;
	/* A box over the view (tui_pick), drawn after it. */
	void			(*overlay_draw)(struct tui *, void *);
	void			*overlay_arg;
	int			 overlay_dirty;

	FILE			*log;		/* UFO_BOARD_LOG */
	int			 first_painted;
	int64_t			 event_at;	/* µs; first unpainted event */
	int64_t			 tick_at;
	unsigned		 load_gen;	/* pages of older loads: ignored */
	int			 loaded;
};

int64_t	 tui_now_us(void);
/* Draws what is dirty, once, with one doupdate. */
void	 tui_draw(struct tui *);
/*
 * One turn: draws, waits for the keyboard or the network and applies the
 * feed. 0 with *key set, or -1 when the board must quit.
 */
int	 tui_turn(struct tui *, struct tui_key *);
/* A KEY_MOUSE: a click tells the top view where. */
void	 tui_mouse(struct tui *);

#endif
