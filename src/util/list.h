/* list: the one doubly linked list of portcullis, intrusive.
 *
 * An object on a list embeds a struct list_node; list_item gives the object
 * back from its node. A struct list knows its first and last node, so
 * adding at either end, removing any node and taking the oldest are O(1).
 * Zeroed memory is an empty list and an unlinked node, so a list inside a
 * calloc'd owner needs no set-up. Everything is inline: a list step costs
 * what the hand-written pointer updates it replaces cost. No locking: a
 * list shared by threads is used under its owner's lock. */
#ifndef PC_UTIL_LIST_H
#define PC_UTIL_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node {
	struct list_node *prev, *next;
};

struct list {
	struct list_node *first, *last;
};

/* The object of type type whose member member is node (node not NULL). */
#define list_item(node, type, member) ((type *)(void *)((char *)(node) - offsetof(type, member)))

/* The same, or NULL for a NULL node (list_item of first/last/next). */
#define list_item_or_null(node, type, member)                                                 \
	((node) != NULL ? list_item(node, type, member) : (type *)NULL)

/* For each node of l, first to last, as struct list_node *var; the loop
 * body may remove var (the next node is read before the body runs). */
#define list_each(var, l)                                                                     \
	for (struct list_node *var = (l)->first, *var##_next_ = var != NULL ? var->next : NULL; \
	     var != NULL; var = var##_next_, var##_next_ = var != NULL ? var->next : NULL)

static inline void list_init(struct list *l)
{
	l->first = l->last = NULL;
}

static inline bool list_empty(const struct list *l)
{
	return l->first == NULL;
}

/* Add n (not on any list) before the first node. */
static inline void list_push_front(struct list *l, struct list_node *n)
{
	n->prev = NULL;
	n->next = l->first;
	if (l->first != NULL)
		l->first->prev = n;
	else
		l->last = n;
	l->first = n;
}

/* Add n (not on any list) after the last node. */
static inline void list_push_back(struct list *l, struct list_node *n)
{
	n->next = NULL;
	n->prev = l->last;
	if (l->last != NULL)
		l->last->next = n;
	else
		l->first = n;
	l->last = n;
}

/* Take n off l, whose node it is; n is left unlinked (both links NULL). */
static inline void list_remove(struct list *l, struct list_node *n)
{
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		l->first = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	else
		l->last = n->prev;
	n->prev = n->next = NULL;
}

/* Is n on l? (l's only node has no links either.) */
static inline bool list_linked(const struct list *l, const struct list_node *n)
{
	return n->prev != NULL || n->next != NULL || l->first == n;
}

/* Move n (on l) to the front. */
static inline void list_move_front(struct list *l, struct list_node *n)
{
	if (l->first == n)
		return;
	list_remove(l, n);
	list_push_front(l, n);
}

/* Take every node of from, in order, leaving from empty: *to becomes what
 * from was (to's own nodes, if any, are forgotten: give an empty to). */
static inline void list_take_all(struct list *to, struct list *from)
{
	*to = *from;
	from->first = from->last = NULL;
}

#endif
