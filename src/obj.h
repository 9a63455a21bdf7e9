/*
 * obj.h - the reference count shared by everything the cache holds.
 *
 * A cached value (struct mint_content, struct mint_pixels) starts with a
 * struct mint_obj. It is immutable once published; the count is a C11
 * atomic, and the last mint_obj_unref() calls destroy(). Any thread may
 * ref or unref.
 */
#ifndef MINT_OBJ_H
#define MINT_OBJ_H

#include <stdatomic.h>
#include <stddef.h>

struct mint_obj {
	atomic_uint refs;
	size_t bytes;				/* memory it holds, for budgets */
	void (*destroy)(struct mint_obj *obj);	/* frees the whole object */
};

/* Set the count to 1 (the creator's reference). */
static inline void mint_obj_init(struct mint_obj *obj, size_t bytes,
				 void (*destroy)(struct mint_obj *))
{
	atomic_init(&obj->refs, 1);
	obj->bytes = bytes;
	obj->destroy = destroy;
}

static inline struct mint_obj *mint_obj_ref(struct mint_obj *obj)
{
	atomic_fetch_add_explicit(&obj->refs, 1, memory_order_relaxed);
	return obj;
}

/* Drop one reference; the last one destroys. NULL is allowed. */
static inline void mint_obj_unref(struct mint_obj *obj)
{
	if (obj && atomic_fetch_sub_explicit(&obj->refs, 1,
					     memory_order_acq_rel) == 1)
		obj->destroy(obj);
}

#define mint_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#endif
