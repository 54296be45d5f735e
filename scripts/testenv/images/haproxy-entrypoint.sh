#!/bin/sh
# The official haproxy image's entrypoint: options alone run haproxy, and
# haproxy runs in master-worker mode without forking.
set -e
if [ "${1#-}" != "$1" ]; then
	set -- haproxy "$@"
fi
if [ "$1" = 'haproxy' ]; then
	shift
	set -- haproxy -W -db "$@"
fi
exec "$@"
