#include "reply.h"

#include <stdlib.h>
#include <string.h>

/* Used when even building the reply fails: still a valid answer, never a crash. */
static const char OUT_OF_MEMORY[] = "{\"status\":\"error\",\"message\":\"Erreur interne.\",\"data\":null}";

void reply_raw(struct reply *out, int status, cJSON *root)
{
	reply_release(out);
	out->status = status;
	out->content_type = NULL;
	out->body = root ? cJSON_PrintUnformatted(root) : NULL;
	cJSON_Delete(root);
	if (!out->body) {
		out->status = 500;
		out->body = strdup(OUT_OF_MEMORY);
	}
}

void reply_text(struct reply *out, int status, char *text, const char *content_type)
{
	reply_release(out);
	out->status = status;
	out->body = text;
	out->content_type = content_type;
}

void reply_json(struct reply *out, enum envelope env, int status, const char *message, cJSON *data)
{
	cJSON *root = cJSON_CreateObject();
	if (root && env == ENV_CITIZEN) {
		cJSON_AddStringToObject(root, "status", status < 400 ? "success" : "error");
		cJSON_AddStringToObject(root, "message", message);
		cJSON_AddItemToObject(root, "data", data ? data : cJSON_CreateNull());
	} else if (root) {
		cJSON_AddNumberToObject(root, "status", status);
		cJSON_AddStringToObject(root, "message", message);
		if (data)
			cJSON_AddItemToObject(root, "data", data);
	} else {
		cJSON_Delete(data);
	}
	reply_raw(out, status, root);
}

void reply_citizen_error(struct reply *out, const char *detail)
{
	reply_json(out, ENV_CITIZEN, 500, "Erreur serveur lors de la gestion de l'OTP",
		   cJSON_CreateString(detail));
}

void reply_release(struct reply *r)
{
	if (r->body)
		cJSON_free(r->body);
	r->body = NULL;
}
