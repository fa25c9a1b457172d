/* SPDX-License-Identifier: ISC */
/*
 * listen_github.c - a GitHub delivery's CloudEvents attributes, as the
 * CloudEvents GitHub adapter maps them.  See listen_int.h.
 */
#include <stdio.h>
#include <string.h>

#include "ce.h"
#include "listen_int.h"
#include "scan.h"

/*
 * The subject of each GitHub event, as the CloudEvents GitHub adapter
 * (cloudevents/spec, adapters/github.md) names it: a path into the
 * payload.  Events it does not list get none.
 */
static const struct {
	const char *event;	/* X-GitHub-Event */
	const char *path;	/* where its subject is, dotted */
} ghsubjects[] = {
	{ "check_run", "check_run.id" },
	{ "check_suite", "check_suite.id" },
	{ "commit_comment", "comment.id" },
	{ "content_reference", "content_reference.id" },
	{ "create", "ref" },
	{ "delete", "ref" },
	{ "deploy_key", "key.id" },
	{ "deployment", "deployment.id" },
	{ "deployment_status", "deployment_status.url" },
	{ "fork", "forkee.url" },
	{ "installation", "installation.id" },
	{ "installation_repositories", "installation.id" },
	{ "issue_comment", "comment.id" },
	{ "issues", "issue.number" },
	{ "label", "label.name" },
	{ "marketplace_purchase", "marketplace_purchase.account.login" },
	{ "member", "member.login" },
	{ "membership", "member.login" },
	{ "meta", "hook_id" },
	{ "milestone", "milestone.number" },
	{ "org_block", "blocked_user.login" },
	{ "organization", "membership.user.login" },
	{ "page_build", "build.url" },
	{ "project", "project.id" },
	{ "project_card", "project_card.id" },
	{ "project_column", "project_column.id" },
	{ "public", "repository.name" },
	{ "pull_request", "number" },
	{ "pull_request_review", "review.id" },
	{ "pull_request_review_comment", "comment.id" },
	{ "push", "ref" },
	{ "registry_package", "registry_package.html_url" },
	{ "release", "release.id" },
	{ "repository", "repository.name" },
	{ "repository_import", "repository.name" },
	{ "repository_vulnerability_alert", "alert.id" },
	{ "security_advisory", "security_advisory.ghsa_id" },
	{ "status", "sha" },
	{ "team", "team.id" },
	{ "team_add", "team.id" }
};

/*
 * The string or integer at the dotted path in the JSON object json[0..len)
 * (a validated one), as text in out (size n).  Returns 1, or 0 when there
 * is none, it is another type, or it is longer than out holds.
 */
static int
ghfield(const char *json, size_t len, const char *path, char *out, size_t n)
{
	struct jspan v = { json, len, SCAN_OBJECT };
	const char *dot;
	size_t k;

	for (;;) {
		k = (dot = strchr(path, '.')) != NULL ? (size_t)(dot - path) :
		    strlen(path);
		if (v.type != SCAN_OBJECT || !scan_get(v.p, v.len, path, k, &v))
			return 0;
		if (dot == NULL)
			break;
		path = dot + 1;
	}
	if (v.type == SCAN_NUMBER && v.len < n &&
	    strspn(v.p, "-0123456789") >= v.len) {
		memcpy(out, v.p, v.len);
		out[v.len] = '\0';
		return 1;
	}
	if (v.type != SCAN_STRING || v.len - 1 > n)
		return 0;
	/* The scanner refused \u0000: the text ends where the value does. */
	out[scan_unescape(v.p + 1, v.len - 2, out)] = '\0';
	return out[0] != '\0';
}

/*
 * The attributes of a GitHub delivery, as the CloudEvents GitHub adapter
 * maps them: type com.github.EVENT, and .ACTION when the payload has an
 * action; source the payload's repository.url; the subject the adapter
 * names (ghsubjects).  What is missing, or no valid attribute, is left
 * out.  json[0..len) is the payload, validated, or empty.
 */
void
listen_github(const char *gh, const char *json, size_t len, char *type,
    size_t tn, char *source, size_t sn, char *subject, size_t jn)
{
	char action[64], why[200];
	size_t i;

	source[0] = subject[0] = '\0';
	if (len == 0 || scan_typeof(json) != SCAN_OBJECT ||
	    !ghfield(json, len, "action", action, sizeof(action)) ||
	    strspn(action, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
	    strlen(action))
		action[0] = '\0';
	snprintf(type, tn, "com.github.%s%s%s", gh, action[0] ? "." : "",
	    action);
	if (len == 0 || scan_typeof(json) != SCAN_OBJECT)
		return;
	if (!ghfield(json, len, "repository.url", source, sn) ||
	    ce_text_check(source, strlen(source), why, sizeof(why)) == -1 ||
	    ce_uri_check(source, strlen(source), 0, why, sizeof(why)) == -1)
		source[0] = '\0';
	for (i = 0; i < sizeof(ghsubjects) / sizeof(ghsubjects[0]); i++)
		if (strcmp(ghsubjects[i].event, gh) == 0) {
			if (!ghfield(json, len, ghsubjects[i].path, subject,
			    jn) || ce_text_check(subject, strlen(subject), why,
			    sizeof(why)) == -1)
				subject[0] = '\0';
			break;
		}
}
