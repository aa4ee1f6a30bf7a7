/*
 * The filter of the views of operations (board, list, lanes) as the user
 * handles it: written as text ("bug label:ui mission:WEB"), asked for on
 * the status line, a mission picked from the fleet's, blocked and
 * cancelled shown or hidden.
 */
#ifndef UFO_FILTER_H
#define UFO_FILTER_H

struct model_filter;
struct tui;

/* The filter as model_filter_parse reads it back, allocated ("" for
 * none); its mission: part only when mission is set. */
char	*filter_text(const struct model_filter *, int);
/* Asks for the filter, the current one to edit; 0 when one was given. */
int	 filter_ask(struct tui *, struct model_filter *);
/* Picks the mission to show (or all of them); 0 when one was picked. */
int	 filter_mission(struct tui *, struct model_filter *);
/* Shows blocked and cancelled operations, or hides them again. */
void	 filter_toggle_hidden(struct tui *, struct model_filter *);

#endif
