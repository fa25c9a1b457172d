/* SPDX-License-Identifier: ISC */
/*
 * trace.h - W3C Trace Context over HTTP (the traceparent and tracestate
 * headers) and the CloudEvents distributed tracing extension, whose
 * attributes have the same names and values: evpub --listen takes the
 * headers into the events that lack the attributes, evsub --post sends
 * the attributes as the headers, and evsub --serve passes the events on
 * with theirs, so that a trace crosses eventful unbroken.
 */
#ifndef EV_TRACE_H
#define EV_TRACE_H

#include <stddef.h>

#define TRACE_STATEMAX 512	/* the longest tracestate taken */

/*
 * Tells whether s[0..len) is a traceparent as W3C Trace Context level 1
 * reads one: version-traceid-parentid-flags in lower-case hex, 2, 32, 16
 * and 2 digits, neither id all zeros, version not ff; a version above 00
 * may have more after the flags, after a '-'.
 */
int trace_parent_ok(const char *s, size_t len);

/* Tells whether s[0..len) may be a tracestate: printable ASCII, at most
 * TRACE_STATEMAX bytes, not empty. */
int trace_state_ok(const char *s, size_t len);

#endif
