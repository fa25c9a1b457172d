# SPDX-License-Identifier: ISC
# nchan.bash - Nchan (Debian's libnginx-mod-nchan) in nginx, on a free
# loopback port, for the suites and the benchmark: one channel, demo,
# published by POST to /pub and read as Server-Sent Events at /sub, with
# a message buffer a reader resumes from by Last-Event-ID.

NCHAN_MODULE=/usr/lib/nginx/modules/ngx_nchan_module.so

# nchan_conf DIR PORT: nginx's configuration, its files under DIR.
nchan_conf() {
	mkdir -p "$1/tmp"
	cat >"$1/nginx.conf" <<CONF
load_module $NCHAN_MODULE;
worker_processes 1;
daemon off;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 8192; }
http {
	access_log off;
	client_body_temp_path $1/tmp;
	proxy_temp_path $1/tmp;
	fastcgi_temp_path $1/tmp;
	uwsgi_temp_path $1/tmp;
	scgi_temp_path $1/tmp;
	server {
		listen 127.0.0.1:$2;
		location = /pub {
			nchan_publisher;
			nchan_channel_id demo;
			nchan_message_buffer_length 100000;
			nchan_message_timeout 1h;
		}
		location = /sub {
			nchan_subscriber eventsource;
			nchan_channel_id demo;
			nchan_subscriber_first_message oldest;
		}
	}
}
CONF
}

# nchan_start DIR PORT: starts nginx with Nchan; its pid in NXPID; waits
# (at most 10 s) until it answers.
nchan_start() {
	[ -f "$NCHAN_MODULE" ] || { echo "no Nchan (make deps installs libnginx-mod-nchan)"; return 1; }
	nchan_conf "$1" "$2"
	nginx -c "$1/nginx.conf" -p "$1" 3>&- &
	NXPID=$!
	local i
	for i in $(seq 200); do
		# Any answer: a channel not yet published to is a 404.
		[ "$(curl -s -o /dev/null -w '%{http_code}' \
		    "http://127.0.0.1:$2/pub")" != 000 ] && return 0
		sleep 0.05
	done
	cat "$1/error.log"
	return 1
}

# nchan_stop: stops it, by pid: its master and then its worker, each
# waited for (10 s at most), so that its port is free to start again.
nchan_stop() {
	[ -n "${NXPID:-}" ] || return 0
	local workers i
	workers=$(pgrep -P "$NXPID" 2>/dev/null)
	kill "$NXPID" 2>/dev/null || true  # honest: it may have ended
	for i in $(seq 200); do
		kill -0 "$NXPID" 2>/dev/null || break
		sleep 0.05
	done
	# shellcheck disable=SC2086
	[ -z "$workers" ] || kill -9 $workers 2>/dev/null || true  # honest: they may have ended
	kill -9 "$NXPID" 2>/dev/null || true  # honest: it may have ended
	NXPID=
	return 0
}
