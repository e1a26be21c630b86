/*
 * api_int.h: what api.c (answers, request bodies, dispatch, the listener)
 * and api_inv.c (the inventory's resources) share. Not an interface
 * outside the API.
 */
#ifndef PROV_SERVER_API_INT_H
#define PROV_SERVER_API_INT_H

#include <stddef.h>

#include <json-c/json.h>

#include "api.h"

struct inv;

/* Answers: obj as the body (json_object_put'ed), an {"error": ...} body,
 * the inventory's last failure (503 when busy, else 500). */
void api_json(struct api_res *r, int status, json_object *obj);
void api_error(struct api_res *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void api_inv_error(struct api_res *r, struct inv *inv);
/* A JSON string of s ("" for NULL). */
json_object *api_str(const char *s);

/* A request body: a JSON object of at most API_JSON_DEPTH levels whose
 * keys are all in allowed (NULL-terminated), or NULL with r answered 400
 * naming what. Then one string or boolean member: 1 present, 0 absent,
 * -1 with r answered 400. */
json_object *api_body(const char *body, size_t len, const char *const *allowed,
		      const char *what, struct api_res *r);
int api_get_str(json_object *o, const char *name, char *out, size_t cap, const char *what,
		struct api_res *r);
int api_get_bool(json_object *o, const char *name, int *out, const char *what,
		 struct api_res *r);

/* The resources (api_inv.c): rest is the path after the collection's
 * name, query the raw query string or NULL. */
void api_devices(struct inv *inv, const char *db, const char *method, const char *rest,
		 const char *query, const char *body, size_t len, struct api_res *r);
void api_variables(struct inv *inv, const char *method, const char *rest, const char *query,
		   const char *body, size_t len, struct api_res *r);
void api_templates(struct inv *inv, const char *method, const char *rest, const char *body,
		   size_t len, struct api_res *r);
void api_codes(struct inv *inv, const char *method, const char *rest, const char *body,
	       size_t len, struct api_res *r);

#endif
